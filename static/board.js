/* thidua live board: listens to /events, refetches the board it shows and
   updates the server-rendered table in place. Without this script the page
   is complete; with it, it stays current without reloading. */
(function () {
  'use strict';

  var root = document.getElementById('live-board');
  if (!root) return;
  var cfg = JSON.parse(root.getAttribute('data-config'));
  var T = cfg.t;
  var board = cfg.board;
  var status = cfg.status;
  var etags = {};
  /* The window this page shows, in the JSON API's terms. */
  var view = cfg.window || {};
  var busy = false;
  var again = false;
  var reduceMotion = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;

  var $ = function (id) { return document.getElementById(id); };

  /* "Thất Khê", "that khe" and "THAT KHÊ" all fold to "that khe". */
  function fold(text) {
    return String(text).normalize('NFD').replace(/[\u0300-\u036f]/g, '')
      .replace(/[đĐ]/g, 'd').toLowerCase().replace(/\s+/g, ' ').trim();
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  function decimal(bp) {
    var text = Math.floor(bp / 100) + '.' + String(bp % 100).padStart(2, '0');
    return cfg.lang === 'vi' ? text.replace('.', ',') : text;
  }

  /* Writes only what differs: an update that changes nothing on a row
     costs reads, not style and layout work. */
  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function setAttr(node, name, value) {
    value = String(value);
    if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function url(path, params) {
    var query = Object.keys(params).filter(function (k) { return params[k] != null; })
      .map(function (k) { return k + '=' + encodeURIComponent(params[k]); });
    if (cfg.competition) query.push('competition=' + encodeURIComponent(cfg.competition));
    return path + (query.length ? '?' + query.join('&') : '');
  }

  function unitHref(code) {
    return '/units/' + encodeURIComponent(code) + cfg.unit_query;
  }

  function unitLink(code, name) {
    var a = el('a', '', name);
    a.href = unitHref(code);
    return a;
  }

  /* ------------------------------------------------------------ bars */

  function meter(view, criterion) {
    var frag = document.createDocumentFragment();
    var m = el('span', 'meter');
    m.style.setProperty('--target', criterion.target + '%');
    m.appendChild(el('span', 'fill'));
    frag.appendChild(m);
    frag.appendChild(el('span', 'rate'));
    return frag;
  }

  function setMeter(holder, view, criterion) {
    var m = holder.querySelector('.meter');
    var rate = holder.querySelector('.rate');
    var bp = view && view.rate_bp != null ? view.rate_bp : null;
    var applicable = bp != null && (view.applicable !== false || bp > 0);
    m.classList.toggle('na', !applicable);
    m.classList.toggle('met', applicable && bp >= criterion.target * 100);
    var fill = m.querySelector('.fill');
    var width = applicable ? (Math.min(bp, 10000) / 100) + '%' : '0%';
    if (fill.style.width !== width) fill.style.width = width;
    setText(rate, applicable ? decimal(bp) + '%' : T.no_dossiers_rate);
  }

  /* ------------------------------------------------------------ rows */

  /* A new row is a copy of one empty row built once: one clone instead of
     some fifty element creations a row. */
  var emptyRow = null;
  function buildRow(code) {
    if (!emptyRow) emptyRow = buildEmptyRow();
    var tr = emptyRow.cloneNode(true);
    tr.setAttribute('data-code', code);
    return tr;
  }

  function buildEmptyRow() {
    var tr = el('tr');
    var rank = el('td', 'rank');
    rank.appendChild(el('span', 'rank-n'));
    rank.appendChild(document.createTextNode(' '));
    var change = el('span', 'change');
    change.appendChild(el('span', 'symbol'));
    change.firstChild.setAttribute('aria-hidden', 'true');
    change.appendChild(el('span', 'sr'));
    rank.appendChild(change);
    tr.appendChild(rank);
    var unit = el('th', 'unit');
    unit.setAttribute('scope', 'row');
    var line = el('span', 'unit-line');
    line.appendChild(el('a'));
    var unitScore = el('span', 'unit-score');
    unitScore.appendChild(el('span', 'score-n'));
    unitScore.appendChild(el('span', 'grade-slot'));
    line.appendChild(unitScore);
    unit.appendChild(line);
    var stack = el('ul', 'stack');
    cfg.criteria.forEach(function (c) {
      var li = el('li');
      li.setAttribute('data-key', c.key);
      li.appendChild(el('span', 'bar-label', c.label));
      li.appendChild(meter(null, c));
      stack.appendChild(li);
    });
    unit.appendChild(stack);
    tr.appendChild(unit);
    cfg.criteria.forEach(function (c) {
      var td = el('td', 'crit');
      td.setAttribute('data-key', c.key);
      td.appendChild(meter(null, c));
      tr.appendChild(td);
    });
    var score = el('td', 'score');
    score.appendChild(el('span', 'score-n'));
    tr.appendChild(score);
    var grade = el('td', 'grade');
    grade.appendChild(el('span', 'grade-slot'));
    tr.appendChild(grade);
    tr.appendChild(el('td', 'days'));
    return tr;
  }

  function changeOf(n) {
    if (n == null) return ['', 'new', T.rank_new];
    if (n > 0) return ['▲' + n, 'up', fill(T.rank_up, { n: n })];
    if (n < 0) return ['▼' + -n, 'down', fill(T.rank_down, { n: -n })];
    return ['=', 'same', T.rank_same];
  }

  function fillRow(tr, e) {
    var before = tr.getAttribute('data-rank') + '/' + tr.getAttribute('data-score-bp') + '/' +
      (tr.querySelector('td.days') || {}).textContent;
    setAttr(tr, 'data-name', e.unit.name);
    setAttr(tr, 'data-rank', e.rank);
    setAttr(tr, 'data-score-bp', e.score_bp);
    setText(tr.querySelector('.rank-n'), String(e.rank));
    var ch = changeOf(e.rank_change);
    var change = tr.querySelector('.change');
    setAttr(change, 'class', 'change change-' + ch[1]);
    setAttr(change, 'title', ch[2]);
    setText(change.firstChild, ch[0]);
    setText(change.lastChild, ch[2]);
    var link = tr.querySelector('th.unit a');
    setText(link, e.unit.name);
    setAttr(link, 'href', unitHref(e.unit.code));
    cfg.criteria.forEach(function (c) {
      tr.querySelectorAll('[data-key="' + c.key + '"]').forEach(function (holder) {
        setMeter(holder, e.criteria[c.key], c);
      });
    });
    tr.querySelectorAll('.score-n').forEach(function (n) { setText(n, decimal(e.score_bp)); });
    var i = cfg.grades.indexOf(e.grade);
    var gradeName = i >= 0 && cfg.grade_names ? cfg.grade_names[i] : e.grade;
    var badgeClass = 'badge' + (i >= 0 ? ' grade-' + Math.min(i, 4) : '');
    tr.querySelectorAll('.grade-slot').forEach(function (slot) {
      var badge = slot.firstElementChild;
      if (!e.grade) {
        if (slot.firstChild) slot.textContent = '';
      } else if (!badge || badge.className !== badgeClass || badge.textContent !== gradeName) {
        slot.textContent = '';
        slot.appendChild(el('span', badgeClass, gradeName));
      }
    });
    var days = tr.querySelector('td.days');
    var daysN = days.querySelector('.days-n');
    if (daysN) setText(daysN, String(e.days_reported));
    else {
      days.textContent = '';
      days.appendChild(el('span', 'days-n', String(e.days_reported)));
    }
    var after = e.rank + '/' + e.score_bp + '/' + e.days_reported;
    return before !== after;
  }

  function flash(tr) {
    tr.classList.remove('settle');
    tr.classList.add('flash');
    setTimeout(function () {
      tr.classList.add('settle');
      tr.classList.remove('flash');
    }, 1600);
  }

  /* Past this many moved rows the board changes without animation. */
  var MAX_ANIMATED = 40;

  /* The window's rows are patched in place: a row is filled again only
     when its line changed, rows glide to their new places in one pass
     (measure every row, move them all, measure again, then animate:
     FLIP), and only rows whose figures changed are highlighted. */
  function renderRows(data) {
    var tbody = $('rows');
    var existing = {};
    Array.prototype.forEach.call(tbody.rows, function (tr) {
      existing[tr.getAttribute('data-code')] = tr;
    });
    var changed = [];
    var order = data.entries.map(function (e) {
      var tr = existing[e.unit.code];
      if (!tr) tr = buildRow(e.unit.code);
      delete existing[e.unit.code];
      var sig = JSON.stringify(e);
      if (tr.__sig !== sig) {
        fillRow(tr, e);
        tr.__sig = sig;
      }
      /* Highlighted only when this page showed the unit with other figures:
         rows that merely come into view or shift a place stay calm. */
      var figures = e.score_bp + '/' + e.days_reported;
      var before = shown[e.unit.code];
      if (before !== undefined && before !== figures) changed.push(tr);
      shown[e.unit.code] = figures;
      return tr;
    });
    var moved = order.filter(function (tr, i) { return tbody.rows[i] !== tr; });
    var animate = !reduceMotion && moved.length > 0 && moved.length <= MAX_ANIMATED &&
      !document.hidden;
    var tops = {};
    if (animate) {
      order.forEach(function (tr) {
        if (tr.parentNode) tops[tr.getAttribute('data-code')] = tr.getBoundingClientRect().top;
      });
    }
    Object.keys(existing).forEach(function (code) { existing[code].remove(); });
    if (moved.length) {
      var frag = document.createDocumentFragment();
      order.forEach(function (tr) { frag.appendChild(tr); });
      tbody.appendChild(frag);
    }
    if (animate) {
      var shifts = order.map(function (tr) {
        var was = tops[tr.getAttribute('data-code')];
        return was === undefined ? 0 : was - tr.getBoundingClientRect().top;
      });
      order.forEach(function (tr, i) {
        if (!shifts[i]) return;
        tr.style.transition = 'none';
        tr.style.transform = 'translateY(' + shifts[i] + 'px)';
      });
      requestAnimationFrame(function () {
        order.forEach(function (tr, i) {
          if (!shifts[i]) return;
          tr.style.transition = 'transform .6s ease';
          tr.style.transform = '';
        });
      });
    }
    changed.forEach(flash);
    $('no-ranked').hidden = data.total_entries > 0;
    return changed.length + moved.length;
  }

  /* The figures this page has shown for each unit: what a change is. */
  var shown = {};
  Array.prototype.forEach.call($('rows').rows, function (tr) {
    tr.__sig = null;
    shown[tr.getAttribute('data-code')] = tr.getAttribute('data-score-bp') + '/' +
      tr.querySelector('td.days').textContent.trim();
  });

  function renderChips(list, units, note) {
    /* The same units as shown: nothing to do. */
    var sig = units.map(function (u) { return u.unit.code + '\u0000' + u.unit.name + '\u0000' + note(u); })
      .join('\u0001');
    if (list.__sig === undefined) {
      list.__sig = Array.prototype.map.call(list.children, function (li) {
        var reason = li.querySelector('.reason');
        return li.getAttribute('data-code') + '\u0000' + li.getAttribute('data-name') + '\u0000' +
          (reason ? reason.textContent.replace(/^— /, '') : '');
      }).join('\u0001');
    }
    if (list.__sig === sig) return;
    list.__sig = sig;
    list.textContent = '';
    units.forEach(function (u) {
      var li = el('li');
      li.setAttribute('data-code', u.unit.code);
      li.setAttribute('data-name', u.unit.name);
      li.appendChild(unitLink(u.unit.code, u.unit.name));
      var text = note(u);
      if (text) {
        li.appendChild(document.createTextNode(' '));
        li.appendChild(el('span', 'reason', '— ' + text));
      }
      list.appendChild(li);
    });
  }

  function renderTotals(data) {
    $('totals-score').textContent = data.totals.score_bp != null ? decimal(data.totals.score_bp) : '—';
    $('totals-reported').textContent = fill(T.reported_count, { reported: data.totals.reported, units: data.totals.units });
    cfg.criteria.forEach(function (c) {
      var holder = $('totals-bars').querySelector('[data-key="' + c.key + '"]');
      var view = data.totals.criteria[c.key];
      if (holder) setMeter(holder, view && { rate_bp: view.rate_bp, applicable: view.denominator > 0 }, c);
    });
  }

  function asOf(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(text || '');
    if (!m) return ['', ''];
    var time = m[4] + ':' + m[5];
    if (cfg.lang === 'vi') return [time, time + ' ' + m[3] + '/' + m[2] + '/' + m[1]];
    var months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    return [time, time + ', ' + Number(m[3]) + ' ' + months[Number(m[2]) - 1] + ' ' + m[1]];
  }

  function render(data) {
    if (data.competition.status !== status) {
      /* Frozen or final: the page's marks and notes change; start afresh. */
      window.location.reload();
      return;
    }
    status = data.competition.status;
    lines = data.total_entries + data.total_unranked;
    var changed = renderRows(data);
    /* A page of the board says which units it shows; the count may have moved. */
    var summary = $('paging-summary');
    if (summary && view.q == null && view.around == null && view.limit) {
      var count = function (n) {
        return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, cfg.lang === 'vi' ? '.' : ',');
      };
      var offset = view.offset || 0;
      summary.textContent = fill(T.showing, {
        from: count(Math.min(offset + 1, lines)),
        to: count(Math.min(offset + view.limit, lines)),
        total: count(lines)
      });
    }
    var unranked = data.unranked || [];
    ['no_reports', 'no_dossiers'].forEach(function (reason) {
      var units = unranked.filter(function (u) {
        return (u.reason === 'no_dossiers' ? 'no_dossiers' : 'no_reports') === reason;
      });
      renderChips($('unranked-' + reason), units, function () { return ''; });
      $('unranked-' + reason + '-count').textContent = '(' + units.length + ')';
      $('unranked-' + reason + '-group').hidden = units.length === 0;
    });
    var allUnranked = data.total_unranked != null ? data.total_unranked : unranked.length;
    $('unranked-count').textContent = '(' + allUnranked + ')';
    $('unranked-section').hidden = allUnranked === 0;
    renderTotals(data);
    var when = asOf(data.as_of);
    var time = $('updated');
    time.textContent = when[1];
    time.setAttribute('datetime', data.as_of);
    root.setAttribute('data-version', data.version);
    applySearch();
    if (changed) $('announce').textContent = fill(T.updated_announcement, { time: when[0] });
  }

  /* The day's board lists its ranked units first: the units that have not
     reported today start after them. */
  var dayRanked = cfg.day_ranked || 0;
  function renderMissing(data) {
    var unranked = data.unranked || [];
    var missing = unranked.filter(function (u) { return u.reason === 'no_reports'; });
    var whole = unranked.length >= data.total_unranked;
    var count = whole ? missing.length : data.total_unranked - (unranked.length - missing.length);
    renderChips($('missing-list'), missing, function () { return ''; });
    $('missing-count').textContent = '(' + count + ')';
    $('missing-none').hidden = count > 0;
    var more = $('missing-more');
    if (more) {
      more.hidden = count <= missing.length;
      more.textContent = fill(T.more_units, { n: count - missing.length });
    }
    applySearch();
    if (data.total_entries !== dayRanked) {
      dayRanked = data.total_entries;
      again = true;
    }
  }

  /* ------------------------------------------------------------ fetching */

  function load(params, key) {
    var headers = { Accept: 'application/json' };
    if (etags[key]) headers['If-None-Match'] = etags[key];
    return fetch(url('/api/v1/leaderboard', params), { headers: headers, cache: 'no-store' })
      .then(function (r) {
        if (r.status === 304) return null;
        if (!r.ok) throw new Error('leaderboard ' + r.status);
        etags[key] = r.headers.get('ETag');
        return r.json();
      });
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var shown = board;
    var params = { board: shown };
    Object.keys(view).forEach(function (k) { params[k] = view[k]; });
    var work = [load(params, 'whole:' + shown).then(function (data) {
      if (data && shown === board) render(data);
    })];
    if (cfg.today && $('missing-list')) {
      var day = { board: shown, day: cfg.today, offset: dayRanked, limit: cfg.missing_shown };
      work.push(load(day, 'day:' + shown + ':' + dayRanked).then(function (data) {
        if (data && shown === board) renderMissing(data);
      }));
    }
    Promise.all(work).catch(function () { /* the next event retries */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  /* ------------------------------------------------------------ search */

  var search = $('search');
  function applySearch() {
    var q = fold(search.value);
    var visible = 0;
    Array.prototype.forEach.call($('rows').rows, function (tr) {
      var hit = !q || fold(tr.getAttribute('data-name') || '').indexOf(q) >= 0;
      if (tr.hidden !== !hit) tr.hidden = !hit;
      if (hit) visible++;
    });
    document.querySelectorAll('.chips li').forEach(function (li) {
      var hide = !!q && fold(li.getAttribute('data-name') || '').indexOf(q) < 0;
      if (li.hidden !== hide) li.hidden = hide;
    });
    $('no-match').hidden = !q || visible > 0;
  }
  search.addEventListener('input', applySearch);

  /* ------------------------------------------------------------ live */

  var live = $('live');
  function setLive(state) {
    if (!live) return;
    live.setAttribute('data-state', state);
    live.querySelector('.live-text').textContent = state === 'offline' ? T.live_offline : T.live;
  }

  if (window.EventSource) {
    var events = new EventSource(url('/events', { since: cfg.version }));
    events.addEventListener('open', function () { setLive('live'); });
    events.addEventListener('error', function () { setLive('offline'); });
    /* Closed when the page is left, so that a stream never outlives its page. */
    window.addEventListener('pagehide', function () { events.close(); });
    events.addEventListener('board', function () { setLive('live'); refresh(); });
  }

  /* ------------------------------------------------------------ wall screen */

  function switchBoard(code) {
    var info = cfg.boards.filter(function (b) { return b.code === code; })[0];
    if (!info) return;
    board = code;
    lines = null;
    dayRanked = 0;
    $('board-caption').textContent = info.caption;
    document.querySelectorAll('.board-name').forEach(function (n) { n.textContent = info.name; });
    document.querySelectorAll('.tabs a').forEach(function (a) {
      if (a.getAttribute('data-board') === code) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    refresh();
  }

  /* A wall screen shows each page of a board in turn, then the next board. */
  var lines = cfg.lines;
  if (document.body.classList.contains('tv')) {
    setInterval(function () {
      var offset = (view.offset || 0) + cfg.page;
      if (lines != null && offset < lines && view.q == null && view.around == null) {
        view = { offset: offset, limit: cfg.page };
        refresh();
        return;
      }
      view = { offset: 0, limit: cfg.page };
      if (cfg.boards.length > 1) {
        var i = cfg.boards.map(function (b) { return b.code; }).indexOf(board);
        switchBoard(cfg.boards[(i + 1) % cfg.boards.length].code);
      } else {
        refresh();
      }
    }, cfg.tv_every * 1000);
  }
}());
