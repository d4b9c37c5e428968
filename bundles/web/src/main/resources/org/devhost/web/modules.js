(function () {
  'use strict';
  var root = location.origin + @PLUGIN_ROOT@;
  var body = document.querySelector('#modules-table tbody');
  var status = document.getElementById('modules-status');
  var message = document.getElementById('modules-message');
  var forced = {}; // the force boxes ticked, by module: the table is redrawn every 2 s
  // every change says it comes from the console's pages (the console refuses changes without it)
  var CHANGE = { 'X-Devhost-Console': '1' };

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function say(ok, text, errno) {
    message.replaceChildren();
    message.className = ok ? 'ui-state-highlight ui-corner-all' : 'ui-state-error ui-corner-all';
    message.setAttribute('data-ok', ok ? 'true' : 'false');
    message.setAttribute('data-errno', errno || '');
    if (errno) message.appendChild(el('b', errno + ': '));
    message.appendChild(document.createTextNode(text));
  }

  function answer(r) {
    return r.text().then(function (t) {
      var data;
      try { data = JSON.parse(t); } catch (e) { data = { ok: false, errno: 'HTTP ' + r.status, message: t }; }
      if (!r.ok && data.ok !== false) data = { ok: false, errno: 'HTTP ' + r.status, message: t };
      return data;
    });
  }

  function unload(name, force) {
    var form = new URLSearchParams();
    form.set('action', 'unload'); form.set('module', name); form.set('force', force ? 'true' : 'false');
    fetch(root, { method: 'POST', body: form, headers: CHANGE, credentials: 'same-origin' }).then(answer).then(function (d) {
      if (d.ok) say(true, d.module + ': unloaded' + (force ? ' (forced)' : ''));
      else say(false, d.message, d.errno);
      load();
    }).catch(function (e) { say(false, e.message, 'request failed'); });
  }

  function row(m, i) {
    var tr = el('tr', null, (i % 2 ? 'even' : 'odd') + ' ui-state-default');
    tr.setAttribute('data-module', m.name);
    tr.appendChild(el('td', m.name));
    var state = el('td', m.state);
    state.setAttribute('data-state', m.state);
    tr.appendChild(state);
    // the supervisor's view: restarts so far, stuck threads left behind, the last failure
    tr.appendChild(el('td', (m.supervised ? String(m.restarts) : 'unsupervised')
        + (m.stuckThreads ? ', ' + m.stuckThreads + ' stuck thread' + (m.stuckThreads > 1 ? 's' : '') : '')
        + (m.lastFailure ? '; last failure ' + m.lastFailure : '')));
    tr.appendChild(el('td', m.useCount + (m.users.length ? ' ' + m.users.join(',') : '')
        + (m.openFiles ? ' (' + m.openFiles + ' open file' + (m.openFiles > 1 ? 's' : '') + ')' : '')));
    tr.appendChild(el('td', m.devices.join(' ')));
    var ps = el('td');
    m.parameters.forEach(function (p) {
      var line = el('div', null, 'module-parameter');
      line.setAttribute('data-parameter', p.name);
      line.setAttribute('data-value', p.value);
      line.appendChild(el('code', p.name + '=' + p.value));
      line.appendChild(document.createTextNode(' (' + p.type + (p.readonly ? ', read-only' : '') + ') ' + p.description));
      ps.appendChild(line);
    });
    tr.appendChild(ps);
    tr.appendChild(el('td', [m.description, m.author && 'author: ' + m.author, m.license && 'license: ' + m.license]
        .filter(Boolean).join('; ')));
    tr.appendChild(el('td', m.symbolicName + ' ' + m.version + ' (' + m.bundleId + ')' + (m.size ? ', ' + m.size + ' bytes' : '')));
    var actions = el('td');
    if (m.state === 'live') {
      var force = el('input'); force.type = 'checkbox'; force.className = 'module-force';
      force.checked = !!forced[m.name];
      force.addEventListener('change', function () { forced[m.name] = force.checked; });
      var b = el('button', 'Unload', 'module-unload'); b.type = 'button';
      b.addEventListener('click', function () { unload(m.name, force.checked); });
      var l = el('label'); l.appendChild(force); l.appendChild(document.createTextNode(' force (-f)'));
      actions.appendChild(b); actions.appendChild(document.createTextNode(' ')); actions.appendChild(l);
    }
    tr.appendChild(actions);
    return tr;
  }

  function load() {
    fetch(root + '.json', { cache: 'no-store', credentials: 'same-origin' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (d) {
        var rows = document.createDocumentFragment();
        d.modules.forEach(function (m, i) { rows.appendChild(row(m, i)); });
        body.replaceChildren(rows);
        status.textContent = d.modules.length + ' modules (updated ' + new Date().toLocaleTimeString() + ')';
      })
      .catch(function (e) { status.textContent = 'Cannot read the modules: ' + e.message; });
  }

  document.getElementById('modules-load').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var form = new FormData(ev.target);
    form.set('action', 'load');
    say(true, 'loading ...');
    fetch(root, { method: 'POST', body: form, headers: CHANGE, credentials: 'same-origin' }).then(answer).then(function (d) {
      if (d.ok) say(true, d.module + ': loaded (bundle ' + d.bundleId + ')' + (d.devices.length ? ', devices ' + d.devices.join(' ') : ''));
      else say(false, d.message, d.errno);
      load();
    }).catch(function (e) { say(false, e.message, 'request failed'); });
  });

  load();
  // a module stopped or loaded elsewhere (shell, Bundles page, deploy folder) shows up here too
  setInterval(load, 2000);
})();
