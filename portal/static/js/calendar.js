/*
 * Partnerportalen: the gate list's "Udskriv" button. Without JavaScript the button stays
 * hidden and the hint beside it tells how to print from the browser.
 */
(function () {
  'use strict';

  function init() {
    var buttons = document.querySelectorAll('[data-print-page]');
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].hidden = false;
      buttons[i].addEventListener('click', function () {
        window.print();
      });
    }
    var hints = document.querySelectorAll('[data-print-hint]');
    for (var j = 0; j < hints.length; j++) {
      hints[j].hidden = true;
    }
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
