/*
 * Partnerportalen: the activity proposal form, on top of a form that works without it.
 *
 *  1. Choosing the institution (or a section) shows its sections and rules in place: the page
 *     is fetched again with ?institution=&section= and the two parts are swapped in, instead of
 *     the "Vis afdelinger og regler" button's full reload (which stays for those without
 *     JavaScript). The rules are in an aria-live region, so the change is announced.
 *  2. The mentor's kinds of help are shown only for a mentor activity, and the end date and
 *     exceptions only for an activity that repeats (never hidden while they show an error).
 */
(function () {
  'use strict';

  function onReady(fn) {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', fn);
    } else {
      fn();
    }
  }

  function checkedValue(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    return checked ? checked.value : '';
  }

  function showWhen(group, visible) {
    if (!group) {
      return;
    }
    group.hidden = !visible && !group.querySelector('.form-error');
  }

  function toggles(form) {
    var mentor = form.querySelector('[data-mentor-help]');
    var repeat = form.querySelector('[data-repeat-only]');
    function update() {
      showWhen(mentor, checkedValue(form, 'kind') === 'mentor');
      showWhen(repeat, checkedValue(form, 'recurrence_kind') !== 'once');
    }
    form.addEventListener('change', function (event) {
      var name = event.target && event.target.name;
      if (name === 'kind' || name === 'recurrence_kind') {
        update();
      }
    });
    update();
  }

  function institutionChoice(form) {
    var reloadUrl = form.getAttribute('data-reload-url');
    var button = form.querySelector('[data-choose-button]');
    var panel = form.querySelector('[data-rules-panel]');
    if (!reloadUrl || !button || !panel || !window.fetch || !window.DOMParser) {
      return;
    }
    button.hidden = true;
    var request = 0;

    function refresh(institution, section) {
      var url = new URL(reloadUrl, window.location.href);
      url.searchParams.set('institution', institution);
      if (section) {
        url.searchParams.set('section', section);
      }
      var mine = ++request;
      window.fetch(url.toString(), { credentials: 'same-origin', headers: { Accept: 'text/html' } })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(String(response.status));
          }
          return response.text();
        })
        .then(function (html) {
          if (mine !== request) {
            return; // a later choice is on its way
          }
          var page = new DOMParser().parseFromString(html, 'text/html');
          var newGroup = page.querySelector('[data-section-group]');
          var oldGroup = form.querySelector('[data-section-group]');
          var newPanel = page.querySelector('[data-rules-panel]');
          if (newGroup && oldGroup && !section) {
            oldGroup.replaceWith(document.importNode(newGroup, true));
          }
          if (newPanel) {
            panel.innerHTML = '';
            while (newPanel.firstChild) {
              panel.appendChild(document.importNode(newPanel.firstChild, true));
              newPanel.removeChild(newPanel.firstChild);
            }
          }
        })
        .catch(function () {
          button.hidden = false; // the full reload still works
        });
    }

    form.addEventListener('change', function (event) {
      var target = event.target;
      if (target.name === 'institution') {
        refresh(target.value, '');
      } else if (target.name === 'section') {
        var institution = form.querySelector('[name="institution"]');
        refresh(institution ? institution.value : '', target.value);
      }
    });
  }

  onReady(function () {
    var forms = document.querySelectorAll('form[data-proposal-form]');
    for (var i = 0; i < forms.length; i++) {
      toggles(forms[i]);
      institutionChoice(forms[i]);
    }
  });
})();
