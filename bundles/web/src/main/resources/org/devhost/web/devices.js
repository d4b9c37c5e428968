(function () {
  'use strict';
  // location.origin carries no user:password, so fetch() accepts the URL however the page was opened
  var url = location.origin + @PLUGIN_ROOT@ + '.json';
  var body = document.querySelector('#devices-table tbody');
  var status = document.getElementById('devices-status');
  var filter = document.getElementById('devices-filter');
  var devfs = document.getElementById('devices-devfs');
  var last = null;

  function cell(tr, text) {
    var td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '' : String(text);
    tr.appendChild(td);
  }

  function matches(d, f) {
    if (!f) return true;
    f = f.toLowerCase();
    return [d.name, d.module, d.type, d.device].some(function (v) { return String(v).toLowerCase().indexOf(f) >= 0; });
  }

  function render() {
    if (!last) return;
    var rows = document.createDocumentFragment();
    var shown = 0;
    last.devices.forEach(function (d) {
      if (!matches(d, filter.value.trim())) return;
      var tr = document.createElement('tr');
      tr.setAttribute('data-device', d.name);
      tr.className = (shown % 2 ? 'even' : 'odd') + ' ui-state-default';
      cell(tr, d.name); cell(tr, d.type); cell(tr, d.mode); cell(tr, d.device); cell(tr, d.module);
      cell(tr, d.open); cell(tr, d.operations.join(',')); cell(tr, d.file);
      rows.appendChild(tr);
      shown++;
    });
    body.replaceChildren(rows);
    status.textContent = last.devices.length + ' devices' + (shown !== last.devices.length ? ', ' + shown + ' shown' : '')
        + ' (updated ' + new Date().toLocaleTimeString() + ')';
    devfs.textContent = last.devfs ? 'devfs: every device is a file under ' + last.devfs : 'devfs is not mounted';
  }

  function load() {
    fetch(url, { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (data) { last = data; render(); })
      .catch(function (e) { status.textContent = 'Cannot read the devices: ' + e.message; });
  }

  filter.addEventListener('input', render);
  load();
  setInterval(load, 1000);
})();
