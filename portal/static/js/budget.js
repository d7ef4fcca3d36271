// Live totals of the application's budget. The server computes and shows the same totals when
// the form is saved; this only saves a round trip. The arithmetic is the server's
// (portal/money.py): amounts in whole øre, units with at most two decimals, each line's total
// rounded half up to whole øre, sums of those integers. BigInt, never floating point.
(function () {
  "use strict";

  var form = document.querySelector("[data-application-form]");
  if (!form || typeof BigInt === "undefined") {
    return;
  }
  var english = (document.documentElement.lang || "da").slice(0, 2) === "en";

  // A non-negative number as people type it, in hundredths (BigInt), or null when unreadable.
  // The same forms as parse_decimal: 1.234,50 / 1234,5 / 1234.50 / 1 234.
  function hundredths(text) {
    var raw = (text || "").replace(/[\s\u00a0]/g, "").replace(/(kr\.?|dkk)$/i, "");
    var whole;
    var fraction = "";
    if (raw === "") {
      return null;
    }
    if (raw.indexOf(",") >= 0) {
      var at = raw.lastIndexOf(",");
      whole = raw.slice(0, at);
      fraction = raw.slice(at + 1);
      if (!/^(\d{1,3}(\.\d{3})*|\d+)$/.test(whole)) {
        return null;
      }
      whole = whole.replace(/\./g, "");
    } else if (/^\d+\.\d{1,2}$/.test(raw)) {
      whole = raw.split(".")[0];
      fraction = raw.split(".")[1];
    } else if (/^(\d{1,3}(\.\d{3})+|\d+)$/.test(raw)) {
      whole = raw.replace(/\./g, "");
    } else {
      return null;
    }
    if (!/^\d{0,2}$/.test(fraction)) {
      return null;
    }
    return BigInt(whole || "0") * 100n + BigInt((fraction + "00").slice(0, 2));
  }

  // "1.234,50 kr." (Danish) or "1,234.50 kr." (English), as portal.money.kroner.
  function kroner(ore) {
    var negative = ore < 0n;
    var value = negative ? -ore : ore;
    var whole = (value / 100n).toString();
    var cents = (value % 100n).toString().padStart(2, "0");
    var grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, english ? "," : ".");
    return (negative ? "-" : "") + grouped + (english ? "." : ",") + cents + " kr.";
  }

  function input(line, suffix) {
    return line.querySelector("[name$='-" + suffix + "']");
  }

  // An optional amount: empty is 0.
  function amount(line, suffix) {
    var field = input(line, suffix);
    if (!field || field.value.trim() === "") {
      return 0n;
    }
    return hundredths(field.value);
  }

  function update() {
    var sums = { cost: 0n, own: 0n, other: 0n, requested: 0n };
    var readable = true;
    form.querySelectorAll("[data-budget-line]").forEach(function (line) {
      var shown = line.querySelector("[data-line-total]");
      var units = hundredths(input(line, "units").value);
      var price = hundredths(input(line, "unit_price").value);
      var own = amount(line, "own_financing");
      var other = amount(line, "other_financing");
      var empty =
        input(line, "units").value.trim() === "" &&
        input(line, "unit_price").value.trim() === "" &&
        own === 0n &&
        other === 0n;
      if (empty) {
        shown.textContent = "–";
        return;
      }
      if (units === null || price === null || own === null || other === null) {
        shown.textContent = "–";
        readable = false;
        return;
      }
      // units (hundredths) x price (øre) / 100, rounded half up; everything is non-negative.
      var total = (units * price + 50n) / 100n;
      shown.textContent = kroner(total);
      sums.cost += total;
      sums.own += own;
      sums.other += other;
      sums.requested += total - own - other;
    });
    Object.keys(sums).forEach(function (key) {
      var cell = form.querySelector("[data-total='" + key + "']");
      if (cell) {
        cell.textContent = readable ? kroner(sums[key]) : "–";
      }
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target.closest("[data-budget-line]")) {
      update();
    }
  });
})();
