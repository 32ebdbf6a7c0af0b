// The usage chart: tokens (or their cost at API prices) per day, stacked per user and per
// credential, from GET /v1/admin/usage. Admin only: for any other token the endpoint answers
// 403 and the section stays hidden. Plain SVG built with createElementNS and textContent, never
// innerHTML: user names and tags come from a config file.
'use strict';
(() => {
  const TOKEN_KEY = 'quotamesh.token';
  const SVG = 'http://www.w3.org/2000/svg';
  const DAYS = 14;
  const REFRESH_MS = 60000;
  // Eight distinguishable colours, as many as the endpoint sends series (the last is "(others)").
  const COLORS = ['#3b6fd8', '#1f9d55', '#d99a00', '#d64545', '#8e5bd8', '#1aa3b8', '#c2577a', '#7a8699'];
  const WIDTH = 560;
  const HEIGHT = 220;
  const PAD = { left: 48, right: 8, top: 10, bottom: 24 };
  const $ = (id) => document.getElementById(id);
  let metric = 'tokens';
  let data;
  let timer;

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const svgElement = (tag, attributes) => {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    return node;
  };

  const compact = (value) => {
    const units = [
      [1e9, 'G'],
      [1e6, 'M'],
      [1e3, 'k'],
    ];
    for (const [size, unit] of units) if (value >= size) return (value / size).toFixed(value >= size * 10 ? 0 : 1) + unit;
    return String(Math.round(value));
  };
  const dollars = (value) => (value === 0 ? '$0' : value < 0.01 ? '<$0.01' : '$' + value.toFixed(2));
  const amount = (value) => (metric === 'cost' ? dollars(value) : compact(value));
  const valuesOf = (series) => (metric === 'cost' ? series.cost_usd : series.tokens);
  const sum = (values) => values.reduce((total, value) => total + value, 0);

  // One stacked bar per day; every segment carries its series, day and value as data attributes.
  const chart = (title, series, days) => {
    const box = element('div', 'usage-chart');
    box.dataset.chart = title;
    box.append(element('h3', '', title));
    const totals = days.map((_, day) => sum(series.map((item) => valuesOf(item)[day] || 0)));
    const top = Math.max(...totals, 0) || 1;
    const svg = svgElement('svg', { viewBox: '0 0 ' + WIDTH + ' ' + HEIGHT, role: 'img' });
    svg.setAttribute('aria-label', title + ', ' + (metric === 'cost' ? 'cost at API prices' : 'tokens') + ' per day');
    const plotWidth = WIDTH - PAD.left - PAD.right;
    const plotHeight = HEIGHT - PAD.top - PAD.bottom;
    const slot = plotWidth / days.length;
    const barWidth = Math.max(2, slot * 0.7);
    for (const fraction of [0, 0.5, 1]) {
      const y = PAD.top + plotHeight * (1 - fraction);
      svg.append(svgElement('line', { class: 'axis', x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y }));
      const label = svgElement('text', { class: 'tick', x: PAD.left - 6, y: y + 3, 'text-anchor': 'end' });
      label.textContent = amount(top * fraction);
      svg.append(label);
    }
    days.forEach((day, index) => {
      const x = PAD.left + slot * index + (slot - barWidth) / 2;
      let y = PAD.top + plotHeight;
      series.forEach((item, seriesIndex) => {
        const value = valuesOf(item)[index] || 0;
        if (value <= 0) return;
        const height = (value / top) * plotHeight;
        y -= height;
        const rect = svgElement('rect', {
          x,
          y,
          width: barWidth,
          height: Math.max(height, 0.5),
          fill: COLORS[seriesIndex % COLORS.length],
        });
        rect.dataset.series = item.key;
        rect.dataset.day = day;
        rect.dataset.value = String(value);
        const tip = svgElementText('title', item.key + ' · ' + day + ' · ' + amount(value));
        rect.append(tip);
        svg.append(rect);
      });
      // A label every few days keeps a 14- or 30-day axis readable.
      const every = Math.ceil(days.length / 7);
      if (index % every === 0 || index === days.length - 1) {
        const label = svgElement('text', { class: 'tick', x: x + barWidth / 2, y: HEIGHT - 8, 'text-anchor': 'middle' });
        label.textContent = day.slice(5);
        svg.append(label);
      }
    });
    box.append(svg);
    const legend = element('ul', 'legend');
    series.forEach((item, seriesIndex) => {
      const entry = element('li');
      entry.dataset.series = item.key;
      const swatch = element('span', 'swatch');
      swatch.style.background = COLORS[seriesIndex % COLORS.length];
      entry.append(swatch, element('span', '', item.key), element('span', 'amount', amount(sum(valuesOf(item)))));
      legend.append(entry);
    });
    if (series.length === 0) legend.append(element('li', 'muted', 'no requests in these days'));
    box.append(legend);
    return box;
  };
  const svgElementText = (tag, text) => {
    const node = document.createElementNS(SVG, tag);
    node.textContent = text;
    return node;
  };

  const render = () => {
    if (!data) return;
    $('usage-charts').replaceChildren(chart('By user', data.users, data.days), chart('By credential', data.credentials, data.days));
    $('usage-note').textContent =
      metric === 'cost'
        ? 'What these tokens would cost at the vendors’ API prices' +
          (data.unpriced_tokens > 0 ? '; ' + compact(data.unpriced_tokens) + ' tokens of models without a price are left out.' : '.')
        : 'Input, output and cache tokens per UTC day, from this node’s ledger.';
    for (const button of document.querySelectorAll('#usage [data-metric]')) {
      button.setAttribute('aria-pressed', String(button.dataset.metric === metric));
    }
  };

  async function load() {
    clearTimeout(timer);
    const token = localStorage.getItem(TOKEN_KEY);
    if (!token) {
      $('usage').hidden = true;
      return;
    }
    const headers = { authorization: 'Bearer ' + token };
    try {
      // Only the admin's status lists credential rows: asking the usage endpoint with any other
      // token would be a 403 in the browser's console on every visit.
      const status = await fetch('/v1/status', { headers, cache: 'no-store' });
      const providers = status.ok ? Object.values((await status.json()).providers || {}) : [];
      if (!providers.some((provider) => provider && Array.isArray(provider.credentials))) {
        $('usage').hidden = true;
        $('usage').dataset.state = 'not-admin';
        return;
      }
      const response = await fetch('/v1/admin/usage?days=' + DAYS, { headers, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        $('usage').hidden = true;
        return;
      }
      if (response.ok) {
        data = await response.json();
        $('usage').hidden = false;
        $('usage').dataset.state = 'shown';
        render();
      }
    } catch {
      // The status stream shows the connection state; the chart simply tries again later.
    }
    timer = setTimeout(load, REFRESH_MS);
  }

  for (const button of document.querySelectorAll('#usage [data-metric]')) {
    button.addEventListener('click', () => {
      metric = button.dataset.metric;
      render();
    });
  }
  // page.js stores or forgets the token in its own handlers, which run first.
  $('login').addEventListener('submit', () => setTimeout(load, 0));
  $('sign-out').addEventListener('click', () => {
    clearTimeout(timer);
    data = undefined;
    $('usage').hidden = true;
  });
  load();
})();
