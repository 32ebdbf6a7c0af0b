// The dashboard's whole behaviour: ask for a token once (kept in localStorage), read the
// node's NDJSON status stream with it, and draw the same numbers as `quotamesh status`.
// Built with textContent only, never innerHTML: tags and peer names come from a config file.
'use strict';
(() => {
  const TOKEN_KEY = 'quotamesh.token';
  const WINDOWS = [
    ['5 hour', 'five_hour'],
    ['weekly', 'weekly'],
  ];
  // Filled in by dashboard.ts from the provider registry.
  const PROVIDER_NAMES = /*__PROVIDER_LABELS__*/ {};
  const $ = (id) => document.getElementById(id);
  let controller;
  let retryDelayMs = 1000;
  let retryTimer;
  // Node clock minus ours, so countdowns agree with the node even when this device's clock is off.
  let skewSeconds = 0;

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const nowSeconds = () => Date.now() / 1000 + skewSeconds;

  const countdown = (resetAt) => {
    if (!(resetAt > 0)) return '';
    const seconds = Math.floor(resetAt - nowSeconds());
    if (seconds <= 0) return 'now';
    const days = Math.floor(seconds / 86400);
    const hours = Math.floor((seconds % 86400) / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    if (days > 0) return days + 'd' + String(hours).padStart(2, '0') + 'h';
    if (hours > 0) return hours + 'h' + String(minutes).padStart(2, '0') + 'm';
    if (minutes > 0) return minutes + 'm';
    return '<1m';
  };

  // Elements carrying data-reset show a live countdown, refreshed every second between frames.
  const resetLabel = (node) => {
    const text = countdown(Number(node.dataset.reset));
    const prefix = node.dataset.prefix || '';
    if (text === '') node.textContent = node.dataset.unknown || '';
    else node.textContent = text === 'now' ? prefix + 'now' : prefix + 'in ' + text;
  };
  const countdownNode = (className, resetAt, prefix, unknown) => {
    const node = element('div', className);
    node.dataset.reset = String(resetAt);
    node.dataset.prefix = prefix;
    node.dataset.unknown = unknown;
    resetLabel(node);
    return node;
  };

  const percent = (value) => (value >= 99.95 ? '100' : value.toFixed(1)) + '%';
  const level = (value) => (value >= 90 ? 'high' : value >= 70 ? 'warn' : 'ok');

  const meter = (label, utilization, resetAt, windowName) => {
    const value = Math.min(100, Math.max(0, Number.isFinite(utilization) ? utilization : 100));
    const node = element('div', 'meter');
    node.dataset.window = windowName;
    node.dataset.utilization = String(utilization);
    const head = element('div', 'meter-label');
    head.append(element('span', '', label), element('span', 'pct', percent(value)));
    const track = element('div', 'track');
    track.setAttribute('role', 'meter');
    track.setAttribute('aria-label', label + ' utilization');
    track.setAttribute('aria-valuenow', String(value));
    track.setAttribute('aria-valuemin', '0');
    track.setAttribute('aria-valuemax', '100');
    const fill = element('div', 'fill ' + level(value));
    // CSSOM writes are allowed under the CSP; style attributes in markup would not be.
    fill.style.width = value + '%';
    track.append(fill);
    node.append(head, track, countdownNode('reset', resetAt, 'resets ', 'reset time unknown'));
    return node;
  };

  const badge = (state) => element('span', 'badge ' + state, state.replace('_', ' '));

  const credentialRow = (row) => {
    const node = element('div', 'credential');
    node.dataset.credential = row.tag;
    const head = element('div', 'credential-head');
    head.append(element('strong', '', row.tag));
    head.append(element('span', 'muted', row.peer ? 'via ' + row.peer : row.type));
    head.append(badge(row.state));
    if (row.retry_at > nowSeconds()) head.append(countdownNode('retry', row.retry_at, 'retry ', ''));
    head.append(element('span', 'weight', 'weight ' + row.plan_weight));
    node.append(head);
    for (const [label, key] of WINDOWS) node.append(meter(label, row[key + '_utilization'], row[key + '_reset'], key));
    return node;
  };

  const providerCard = (name, status) => {
    const card = element('section', 'card');
    card.dataset.provider = name;
    card.dataset.state = status.state;
    const head = element('div', 'card-head');
    head.append(
      element('h2', '', PROVIDER_NAMES[name] || name),
      badge(status.state),
      element('span', 'weight', 'plan weight ' + status.plan_weight),
    );
    card.append(head);
    if (status.state !== 'usable' && status.retry_at > 0) card.append(countdownNode('retry', status.retry_at, 'retry ', ''));
    for (const [label, key] of WINDOWS) card.append(meter(label, status[key + '_utilization'], status[key + '_reset'], key));
    if (Array.isArray(status.credentials) && status.credentials.length > 0) {
      const list = element('div', 'credentials');
      list.append(element('h3', '', 'Credentials'));
      for (const row of status.credentials) list.append(credentialRow(row));
      card.append(list);
    }
    // Issue 15: the caller's own consumption (a user's view) and every consumer's (the admin's).
    const limit = (value) => (value === null || value === undefined ? '' : ' of ' + value + '%');
    if (typeof status.my_five_hour_percent === 'number') {
      const mine =
        'you used ' +
        status.my_five_hour_percent.toFixed(2) +
        '%' +
        limit(status.my_limits?.five_hour_percent) +
        ' (5 hour) · ' +
        status.my_weekly_percent.toFixed(2) +
        '%' +
        limit(status.my_limits?.weekly_percent) +
        ' (weekly)';
      card.append(element('p', 'mine', mine));
      if (status.my_retry_at > nowSeconds()) card.append(countdownNode('retry', status.my_retry_at, 'over your limit · retry ', ''));
    }
    if (Array.isArray(status.consumers) && status.consumers.length > 0) {
      const list = element('div', 'credentials consumers');
      list.append(element('h3', '', 'Consumers'));
      for (const row of status.consumers) {
        const text =
          row.caller +
          ' (' +
          row.kind +
          ') · 5 hour ' +
          row.five_hour_percent.toFixed(2) +
          '%' +
          limit(row.five_hour_limit) +
          ' · weekly ' +
          row.weekly_percent.toFixed(2) +
          '%' +
          limit(row.weekly_limit);
        list.append(element('p', 'consumer', text));
      }
      card.append(list);
    }
    return card;
  };

  const render = (status) => {
    skewSeconds = status.time > 0 ? status.time - Date.now() / 1000 : 0;
    $('node-name').textContent = status.node ? '· ' + status.node : '';
    document.title = status.node ? status.node + ' · quotamesh' : 'quotamesh';
    const cards = Object.entries(status.providers || {})
      .filter(([, value]) => value)
      .map(([name, value]) => providerCard(name, value));
    if (cards.length === 0) cards.push(element('p', 'empty', 'No provider is shared with this token.'));
    $('providers').replaceChildren(...cards);
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  };

  const setConnection = (state, text) => {
    $('connection').dataset.state = state;
    $('connection-text').textContent = text;
  };

  const showLogin = (message) => {
    controller?.abort();
    clearTimeout(retryTimer);
    $('providers').replaceChildren();
    $('login-message').textContent = message;
    $('login').hidden = false;
    $('sign-out').hidden = true;
    setConnection('idle', 'not connected');
    $('token').focus();
  };

  const scheduleRetry = (reason) => {
    const seconds = Math.round(retryDelayMs / 1000);
    setConnection('retrying', reason + ' · retrying in ' + seconds + ' s');
    retryTimer = setTimeout(connect, retryDelayMs);
    retryDelayMs = Math.min(retryDelayMs * 2, 30000);
  };

  async function connect() {
    const token = localStorage.getItem(TOKEN_KEY);
    if (!token) return showLogin('');
    controller?.abort();
    controller = new AbortController();
    $('login').hidden = true;
    $('sign-out').hidden = false;
    setConnection('connecting', 'connecting…');
    let response;
    try {
      response = await fetch('/v1/status?watch=true', {
        headers: { authorization: 'Bearer ' + token },
        signal: controller.signal,
        cache: 'no-store',
      });
    } catch (error) {
      if (error.name !== 'AbortError') scheduleRetry('node unreachable');
      return;
    }
    if (response.status === 401 || response.status === 403) {
      localStorage.removeItem(TOKEN_KEY);
      return showLogin('That token was not accepted. Please enter it again.');
    }
    if (!response.ok || !response.body) return scheduleRetry('node answered ' + response.status);
    setConnection('live', 'live');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let newline;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (line === '') continue;
          render(JSON.parse(line));
          retryDelayMs = 1000;
        }
      }
    } catch (error) {
      if (error.name === 'AbortError') return;
    }
    scheduleRetry('connection lost');
  }

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token').value.trim();
    if (token === '') return;
    localStorage.setItem(TOKEN_KEY, token);
    $('token').value = '';
    retryDelayMs = 1000;
    connect();
  });
  $('sign-out').addEventListener('click', () => {
    localStorage.removeItem(TOKEN_KEY);
    showLogin('');
  });
  setInterval(() => document.querySelectorAll('[data-reset]').forEach(resetLabel), 1000);
  connect();
})();

// Add an account (admin-login.ts): start a login on the node, open the vendor's page, paste back
// what it shows. The PKCE verifier and state stay on the node; this page only carries the link
// and the pasted text. Kept apart from the status view above.
(() => {
  const TOKEN_KEY = 'quotamesh.token';
  const PROVIDER_NAMES = /*__PROVIDER_LABELS__*/ {};
  const $ = (id) => document.getElementById(id);
  let current;

  const showWhenSignedIn = () => {
    $('add-account').hidden = !localStorage.getItem(TOKEN_KEY);
  };
  const say = (text, isError) => {
    $('add-result').textContent = text;
    $('add-result').dataset.error = isError ? 'true' : 'false';
  };
  const call = async (path, body) => {
    const response = await fetch(path, {
      method: 'POST',
      headers: { authorization: 'Bearer ' + localStorage.getItem(TOKEN_KEY), 'content-type': 'application/json' },
      body: JSON.stringify(body),
      cache: 'no-store',
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((answer.error && answer.error.message) || 'the node answered ' + response.status);
    return answer;
  };

  for (const [name, label] of Object.entries(PROVIDER_NAMES)) {
    const option = document.createElement('option');
    option.value = name;
    option.textContent = label;
    $('add-provider').append(option);
  }

  $('add-account-start').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('', false);
    const provider = $('add-provider').value;
    try {
      const started = await call('/v1/admin/login/' + encodeURIComponent(provider) + '/start', {});
      current = { provider, loginId: started.login_id, credential: $('add-credential').value.trim() };
      $('add-link').href = started.authorize_url;
      $('add-paste-hint').textContent = '2. Then paste ' + started.paste + ' here.';
      $('add-code').value = '';
      $('add-account-finish').hidden = false;
    } catch (error) {
      say(error.message, true);
    }
  });

  $('add-account-finish').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!current) return;
    const body = { login_id: current.loginId, code: $('add-code').value.trim() };
    if (current.credential) body.credential = current.credential;
    try {
      const added = await call('/v1/admin/login/' + encodeURIComponent(current.provider) + '/finish', body);
      say(
        'Logged in' + (added.account ? ' as ' + added.account : '') + '; wrote ' + added.path + (added.note ? '. ' + added.note : ''),
        false,
      );
    } catch (error) {
      say(error.message, true);
    }
    // A login is used once, refused or not: the next attempt starts again.
    current = undefined;
    $('add-code').value = '';
    $('add-account-finish').hidden = true;
  });

  $('login').addEventListener('submit', () => setTimeout(showWhenSignedIn));
  $('sign-out').addEventListener('click', showWhenSignedIn);
  window.addEventListener('storage', showWhenSignedIn);
  showWhenSignedIn();
})();
