(function () {
  'use strict';
  var url = location.origin + @PLUGIN_ROOT@ + '.json';
  var pre = document.getElementById('dmesg-lines');
  var status = document.getElementById('dmesg-status');
  var level = document.getElementById('dmesg-level');
  var follow = document.getElementById('dmesg-follow');
  var after = -1;
  var count = 0;

  function reset() { after = -1; count = 0; pre.replaceChildren(); }

  function load() {
    var asked = level.value;
    fetch(url + '?after=' + after + '&level=' + encodeURIComponent(asked), { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (d) {
        if (asked !== level.value) return; // the filter changed while this was under way
        if (d.first !== null && after >= 0 && d.first > after + 1 && count > 0) {
          // cleared (dmesg -c) or wrapped past what is shown: start again
          reset();
          return load();
        }
        var add = document.createDocumentFragment();
        d.lines.forEach(function (l) {
          var line = document.createElement('div');
          line.className = 'dmesg-line dmesg-' + l.level;
          line.setAttribute('data-level', l.level);
          line.setAttribute('data-source', l.source);
          line.textContent = l.text;
          if (l.level === 'emerg' || l.level === 'alert' || l.level === 'crit' || l.level === 'err') line.style.color = '#b00';
          else if (l.level === 'warn') line.style.color = '#a60';
          add.appendChild(line);
          count++;
        });
        if (d.last !== null) after = Math.max(after, d.last);
        pre.appendChild(add);
        if (follow.checked && d.lines.length) pre.scrollTop = pre.scrollHeight;
        status.textContent = count + ' lines' + (asked === 'all' ? '' : ' at ' + asked + ' and above')
            + ' (updated ' + new Date().toLocaleTimeString() + ')';
      })
      .catch(function (e) { status.textContent = 'Cannot read the kernel log: ' + e.message; });
  }

  level.addEventListener('change', function () { reset(); load(); });
  load();
  setInterval(load, 1000);
})();
