/*
 * Partnerportalen: page behaviour on top of Det Fælles Designsystem (DKFDS 11).
 *
 * Loaded with `defer` after dkfds.min.js. The Content-Security-Policy allows no inline script,
 * so everything runs from here; every text shown comes from data-attributes that the server
 * rendered (and translated).
 *
 *  1. Move modal containers to <body> (DKFDS makes every other child of <body> inert while a
 *     modal is open, so a modal must sit in a `.fds-modal-container` directly under <body>).
 *  2. DKFDS.init().
 *  3. Translate the "Mere" overflow item DKFDS builds in the main menu.
 *  4. Forms are validated by the server (the DKFDS error summary), not by browser bubbles:
 *     forms get novalidate unless they carry data-native-validation.
 *  5. Focus the error summary.
 *  6. The session-expiry warning (DKFDS "Session udløber" pattern).
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

  function moveModalContainers() {
    var containers = document.querySelectorAll('.fds-modal-container');
    for (var i = 0; i < containers.length; i++) {
      if (containers[i].parentNode !== document.body) {
        document.body.appendChild(containers[i]);
      }
    }
  }

  function translateMoreMenu() {
    var nav = document.querySelector('.navigation-menu .nav[data-more-label]');
    if (!nav) {
      return;
    }
    var label = nav.getAttribute('data-more-label');
    var spans = document.querySelectorAll('.navigation-menu .more-option .more-button span');
    for (var i = 0; i < spans.length; i++) {
      spans[i].textContent = label;
    }
  }

  function serverSideValidation() {
    var forms = document.querySelectorAll('form:not([data-native-validation])');
    for (var i = 0; i < forms.length; i++) {
      forms[i].noValidate = true;
    }
  }

  function focusErrorSummary() {
    var summary = document.querySelector('[data-error-summary]');
    if (summary && document.activeElement !== summary) {
      summary.focus();
    }
  }

  /* ------------------------------------------------------------------------------------------
   * Session expiry.
   *
   * The server logs a user out after `idle-seconds` without a request. The page counts from
   * when it was loaded (shared between tabs through localStorage, so a tab that is in use keeps
   * the others from warning), opens a DKFDS modal that requires action `warn-seconds` before
   * the end (never less than 20 s before, WCAG 2.2.1), and counts down. "Forbliv logget ind"
   * POSTs to the keep-alive URL with the CSRF token. When the time is up the page loads itself
   * again: the server then sees the idle session, says so, and sends the user to the login page.
   * If the user has typed or clicked on this page since the last server contact, the session is
   * extended quietly instead of interrupting them (they are not idle).
   * ---------------------------------------------------------------------------------------- */
  var STORAGE_KEY = 'partnerportalen.session.lastActivity';
  var MIN_WARNING_MS = 20000;
  var GRACE_MS = 2000; // reload a little after the server's deadline, never before it

  function readShared() {
    try {
      return parseInt(window.localStorage.getItem(STORAGE_KEY), 10) || 0;
    } catch (e) {
      return 0;
    }
  }

  function writeShared(value) {
    try {
      window.localStorage.setItem(STORAGE_KEY, String(value));
    } catch (e) {
      /* private mode or storage disabled: this tab keeps its own clock */
    }
  }

  function initSessionTimeout() {
    var el = document.querySelector('[data-session-timeout]');
    if (!el || !window.DKFDS || !window.DKFDS.Modal) {
      return;
    }

    var idleMs = (parseInt(el.getAttribute('data-idle-seconds'), 10) || 0) * 1000;
    var warnBaseMs = (parseInt(el.getAttribute('data-warn-seconds'), 10) || 300) * 1000;
    var warnMs = 0;
    if (idleMs <= 0) {
      return;
    }
    function clampWarning() {
      warnMs = Math.min(Math.max(warnBaseMs, MIN_WARNING_MS), idleMs);
    }
    clampWarning();

    var keepaliveUrl = el.getAttribute('data-keepalive-url');
    var csrfToken = el.getAttribute('data-csrf-token');
    var textTemplate = el.getAttribute('data-text');
    var units = {
      minuteOne: el.getAttribute('data-minute-one'),
      minuteOther: el.getAttribute('data-minute-other'),
      secondOne: el.getAttribute('data-second-one'),
      secondOther: el.getAttribute('data-second-other')
    };
    var countdown = el.querySelector('[data-session-countdown]');
    var announce = el.querySelector('[data-session-announce]');
    var errorText = el.querySelector('[data-session-error]');
    var keepButton = el.querySelector('[data-session-keepalive]');

    var modal = new window.DKFDS.Modal(el);
    var lastActivity = Date.now(); // the page was just served: that was activity
    var lastInteraction = 0;
    var shown = false;
    var busy = false;
    var finished = false;
    var lastSpoken = '';
    var returnFocus = null;
    var timer = null;

    writeShared(Math.max(readShared(), lastActivity));

    function formatRemaining(ms) {
      var seconds = Math.max(0, Math.ceil(ms / 1000));
      var text;
      var n;
      if (seconds >= 60) {
        n = Math.ceil(seconds / 60);
        text = (n === 1 ? units.minuteOne : units.minuteOther);
      } else {
        n = seconds;
        text = (n === 1 ? units.secondOne : units.secondOther);
      }
      return textTemplate.replace('{time}', text.replace('{n}', String(n)));
    }

    /* Screen readers hear the remaining time when the minute changes and at 30 and 10 seconds,
       not every second. */
    function spokenBucket(ms) {
      var seconds = Math.ceil(ms / 1000);
      if (seconds > 60) {
        return 'm' + Math.ceil(seconds / 60);
      }
      if (seconds > 30) {
        return 's60';
      }
      if (seconds > 10) {
        return 's30';
      }
      return 's10';
    }

    function deadline() {
      return Math.max(lastActivity, readShared()) + idleMs;
    }

    function show() {
      if (shown) {
        return;
      }
      shown = true;
      lastSpoken = '';
      returnFocus = document.activeElement;
      errorText.classList.add('d-none');
      modal.show();
    }

    function hide() {
      if (!shown) {
        return;
      }
      shown = false;
      modal.hide();
      if (returnFocus && typeof returnFocus.focus === 'function' && document.body.contains(returnFocus)) {
        returnFocus.focus();
      }
      returnFocus = null;
    }

    function expire() {
      if (finished) {
        return;
      }
      finished = true;
      window.clearInterval(timer);
      // A GET of the page: the server finds the idle session, flashes why, and redirects to login.
      window.location.replace(window.location.href.split('#')[0]);
    }

    function keepAlive(quiet) {
      if (busy || finished) {
        return;
      }
      busy = true;
      if (keepButton) {
        keepButton.disabled = true;
      }
      var body = new URLSearchParams();
      body.append('csrf_token', csrfToken);
      window.fetch(keepaliveUrl, {
        method: 'POST',
        credentials: 'same-origin',
        redirect: 'manual', // a redirect (to the login page) means the session is gone
        headers: {
          'X-CSRFToken': csrfToken,
          'X-Requested-With': 'XMLHttpRequest',
          'Accept': 'application/json'
        },
        body: body
      }).then(function (response) {
        if (!response.ok || response.type === 'opaqueredirect' || response.redirected) {
          throw new Error('keepalive failed: ' + response.status);
        }
        lastActivity = Date.now();
        writeShared(lastActivity);
        hide();
        return response.json().then(function (data) {
          var seconds = data && parseInt(data.idle_seconds, 10);
          if (seconds > 0) {
            idleMs = seconds * 1000;
            clampWarning();
          }
        }, function () { /* no JSON body: keep the page's values */ });
      }).catch(function () {
        if (!quiet) {
          errorText.classList.remove('d-none');
        }
        window.setTimeout(expire, quiet ? 0 : 3000);
      }).then(function () {
        busy = false;
        if (keepButton) {
          keepButton.disabled = false;
        }
      });
    }

    function tick() {
      if (finished) {
        return;
      }
      var remaining = deadline() - Date.now();
      if (remaining <= -GRACE_MS) {
        expire();
        return;
      }
      if (remaining > warnMs) {
        hide(); // another tab (or a quiet keep-alive) extended the session
        return;
      }
      if (!shown && lastInteraction > Math.max(lastActivity, readShared())) {
        keepAlive(true);
        return;
      }
      show();
      var text = formatRemaining(remaining);
      if (countdown.textContent !== text) {
        countdown.textContent = text;
      }
      var bucket = spokenBucket(remaining);
      if (bucket !== lastSpoken) {
        lastSpoken = bucket;
        announce.textContent = text;
      }
    }

    function noteInteraction(event) {
      if (!shown && !el.contains(event.target)) {
        lastInteraction = Date.now();
      }
    }

    if (keepButton) {
      keepButton.addEventListener('click', function () {
        keepAlive(false);
      });
    }
    ['keydown', 'pointerdown', 'input'].forEach(function (type) {
      document.addEventListener(type, noteInteraction, true);
    });
    document.addEventListener('visibilitychange', function () {
      if (!document.hidden) {
        tick();
      }
    });
    window.addEventListener('storage', function (event) {
      if (event.key === STORAGE_KEY) {
        tick();
      }
    });

    timer = window.setInterval(tick, 1000);
  }

  onReady(function () {
    moveModalContainers();
    if (window.DKFDS && typeof window.DKFDS.init === 'function') {
      window.DKFDS.init();
    }
    translateMoreMenu();
    serverSideValidation();
    focusErrorSummary();
    initSessionTimeout();
  });
}());
