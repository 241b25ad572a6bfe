// moondream-local page: pick a picture, run a mode or ask, stream the answer, keep the
// conversation per picture (follow-ups reuse the server's encoded picture) and a history
// in IndexedDB that survives reloads and server restarts. Plain JS, no dependencies.
'use strict';

const I18N = {
  en: {
    demoBadge: 'demo: random weights', history: 'History', dropTitle: 'Drop a picture here',
    dropHint: 'or click to choose one, or paste (Ctrl+V)', newPicture: 'New picture',
    modeLong: 'Detailed description', modeShort: 'Short description', ask: 'Ask', stop: 'Stop',
    questionPlaceholder: 'Ask a question about the picture (in English)', apiKey: 'API key',
    conversation: 'Conversation', copy: 'Copy', copied: 'Copied',
    emptyHint: 'Choose a picture, then pick a mode or ask a question. Follow-up questions reuse the picture.',
    clearAll: 'Clear all', historyEmpty: 'Nothing yet.', footer: 'Runs on this machine; pictures never leave it.',
    labelLong: 'detailed', labelShort: 'short', labelQuestion: 'question',
    needPicture: 'Choose a picture first (click the box, drop a file or paste one).',
    needQuestion: 'Type a question first.', notPicture: 'This file is not a picture.',
    loading: 'The model is still loading; try again in a few seconds.',
    network: 'Cannot reach the server. Is `moondream serve` running?',
    needKey: 'This server needs an API key: enter it below and try again.',
    stopped: '(stopped)', tokens: 'tokens', seconds: 's', deleteItem: 'Delete',
    confirmClear: 'Delete the whole history?', resized: 'resized to fit the upload limit',
  },
  zh: {
    demoBadge: '演示：随机权重', history: '历史记录', dropTitle: '把图片拖到这里',
    dropHint: '或点击选择图片，或粘贴（Ctrl+V）', newPicture: '换一张图片',
    modeLong: '详细描述', modeShort: '简短描述', ask: '提问', stop: '停止',
    questionPlaceholder: '就这张图片提问（模型只懂英文）', apiKey: 'API 密钥',
    conversation: '对话', copy: '复制', copied: '已复制',
    emptyHint: '先选一张图片，再选择模式或提问。追问会复用同一张图片。',
    clearAll: '全部清除', historyEmpty: '暂无记录。', footer: '在本机运行，图片不会离开这台电脑。',
    labelLong: '详细', labelShort: '简短', labelQuestion: '问题',
    needPicture: '请先选择图片（点击方框、拖入文件或粘贴）。', needQuestion: '请先输入问题。',
    notPicture: '这个文件不是图片。', loading: '模型仍在加载，请稍后再试。',
    network: '无法连接服务器。`moondream serve` 在运行吗？',
    needKey: '此服务器需要 API 密钥：请在下方填写后重试。', stopped: '（已停止）',
    tokens: '个词元', seconds: '秒', deleteItem: '删除', confirmClear: '删除全部历史记录？',
    resized: '已缩小以符合上传限制',
  },
};

const $ = (id) => document.getElementById(id);
const state = {
  lang: 'en',
  info: null,
  conv: null,       // {id, created, updated, blob, thumb, name, turns: [{mode, text, answer, error}]}
  dataUrl: null,    // the current picture as a data URL (what the API gets)
  abort: null,      // AbortController of the running request
};

// ---------------------------------------------------------------- language
function t(key) { return (I18N[state.lang] || I18N.en)[key] || I18N.en[key] || key; }

function applyLanguage(lang) {
  state.lang = I18N[lang] ? lang : 'en';
  localStorage.setItem('md.lang', state.lang);
  document.documentElement.lang = state.lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  });
  $('lang-switch').textContent = state.lang === 'zh' ? 'English' : '中文';
  renderConversation();
  renderHistory();
}

function initialLanguage() {
  const saved = localStorage.getItem('md.lang');
  if (saved && I18N[saved]) return saved;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
  return langs.some((l) => String(l).toLowerCase().startsWith('zh')) ? 'zh' : 'en';
}

// ---------------------------------------------------------------- errors
function showError(message) {
  const el = $('error');
  if (!message) { el.hidden = true; el.textContent = ''; return; }
  el.textContent = message;
  el.hidden = false;
}

// ---------------------------------------------------------------- storage (IndexedDB)
const DB_NAME = 'moondream-local';
let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      if (!window.indexedDB) { reject(new Error('no IndexedDB')); return; }
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => req.result.createObjectStore('conversations', { keyPath: 'id' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  return dbPromise;
}
async function dbTx(mode, fn) {
  try {
    const d = await db();
    return await new Promise((resolve, reject) => {
      const tx = d.transaction('conversations', mode);
      const result = fn(tx.objectStore('conversations'));
      tx.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
      tx.onerror = () => reject(tx.error);
    });
  } catch (e) {
    console.warn('history storage unavailable:', e);
    return undefined;
  }
}
const saveConv = (c) => dbTx('readwrite', (s) => s.put(c));
const deleteConv = (id) => dbTx('readwrite', (s) => s.delete(id));
const clearConvs = () => dbTx('readwrite', (s) => s.clear());
const allConvs = async () => (await dbTx('readonly', (s) => s.getAll())) || [];

// ---------------------------------------------------------------- pictures
function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

async function thumbnail(blob) {
  try {
    const bmp = await createImageBitmap(blob);
    const side = 96;
    const scale = side / Math.max(bmp.width, bmp.height);
    const c = document.createElement('canvas');
    c.width = Math.max(1, Math.round(bmp.width * scale));
    c.height = Math.max(1, Math.round(bmp.height * scale));
    c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
    return c.toDataURL('image/jpeg', 0.8);
  } catch (e) {
    return '';
  }
}

// Pictures over the upload limit (phones make big ones) are re-encoded smaller here.
async function fitUpload(blob) {
  const limit = state.info ? state.info.max_upload_bytes : 20 << 20;
  if (blob.size * 1.37 + 4096 < limit) return { blob, resized: false };
  const bmp = await createImageBitmap(blob);
  const scale = Math.min(1, 2048 / Math.max(bmp.width, bmp.height));
  const c = document.createElement('canvas');
  c.width = Math.round(bmp.width * scale);
  c.height = Math.round(bmp.height * scale);
  c.getContext('2d').drawImage(bmp, 0, 0, c.width, c.height);
  const out = await new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.92));
  return { blob: out, resized: true };
}

async function usePicture(file) {
  showError('');
  if (!file || !(file.type || '').startsWith('image/')) { showError(t('notPicture')); return; }
  const { blob, resized } = await fitUpload(file);
  const now = Date.now();
  state.conv = {
    id: `${now}-${Math.random().toString(36).slice(2, 8)}`, created: now, updated: now, blob,
    thumb: await thumbnail(blob), name: file.name || 'pasted', turns: [],
  };
  await showPicture(resized);
  await saveConv(state.conv);
  renderHistory();
}

async function showPicture(resized) {
  const c = state.conv;
  state.dataUrl = c ? await blobToDataUrl(c.blob) : null;
  const img = $('preview');
  if (state.dataUrl) {
    img.src = state.dataUrl;
    img.hidden = false;
    $('drop-hint').hidden = true;
    const kb = Math.round(c.blob.size / 1024);
    $('picture-info').textContent = `${c.name} · ${kb} KB${resized ? ' · ' + t('resized') : ''}`;
  } else {
    img.hidden = true;
    img.removeAttribute('src');
    $('drop-hint').hidden = false;
    $('picture-info').textContent = '';
  }
  renderConversation();
}

// ---------------------------------------------------------------- conversation
function modeLabel(mode) {
  return mode === 'long' ? t('labelLong') : mode === 'short' ? t('labelShort') : t('labelQuestion');
}

function turnElement(turn) {
  const el = $('turn-template').content.firstElementChild.cloneNode(true);
  el.querySelector('.mode-label').textContent = modeLabel(turn.mode);
  el.querySelector('.q-text').textContent = turn.mode === 'query' ? turn.text : '';
  el.querySelector('.answer').textContent = turn.error ? turn.error : turn.answer;
  el.dataset.state = turn.error ? 'error' : turn.done ? 'done' : 'running';
  el.querySelector('.copy').textContent = t('copy');
  el.querySelector('.copy').addEventListener('click', async (ev) => {
    const btn = ev.currentTarget;
    try {
      await navigator.clipboard.writeText(turn.answer);
    } catch (e) {
      const ta = document.createElement('textarea');
      ta.value = turn.answer;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand('copy');
      ta.remove();
    }
    btn.textContent = t('copied');
    setTimeout(() => { btn.textContent = t('copy'); }, 1200);
  });
  if (turn.stats) el.querySelector('.stats').textContent = turn.stats;
  return el;
}

function renderConversation() {
  const box = $('conversation');
  box.querySelectorAll('.turn').forEach((e) => e.remove());
  const turns = state.conv ? state.conv.turns : [];
  $('empty-hint').hidden = turns.length > 0;
  turns.forEach((turn) => box.appendChild(turnElement(turn)));
}

function setBusy(busy) {
  ['btn-long', 'btn-short', 'btn-ask', 'new-picture'].forEach((id) => { $(id).disabled = busy; });
  $('btn-stop').hidden = !busy;
}

function authHeaders() {
  const key = localStorage.getItem('md.apiKey') || '';
  return key ? { Authorization: `Bearer ${key}` } : {};
}

// The conversation as OpenAI messages: the picture in the first user turn, then
// question / answer pairs (the server lays them out as Moondream's Question/Answer).
function buildMessages(turns) {
  const messages = [];
  turns.forEach((turn, i) => {
    const content = i === 0
      ? [{ type: 'image_url', image_url: { url: state.dataUrl } }, { type: 'text', text: turn.text }]
      : turn.text;
    messages.push({ role: 'user', content });
    if (i < turns.length - 1) messages.push({ role: 'assistant', content: turn.answer });
  });
  return messages;
}

async function run(mode, question) {
  showError('');
  if (!state.conv || !state.dataUrl) { showError(t('needPicture')); return; }
  const modes = (state.info && state.info.modes) || {};
  const m = modes[mode] || modes.query || {};
  const text = mode === 'query' ? question : (m.prompt || 'Describe this image.');
  if (!text || !text.trim()) { showError(t('needQuestion')); return; }
  const conv = state.conv;
  // Failed turns are not part of what the model sees.
  const history = conv.turns.filter((x) => !x.error && x.done);
  const turn = { mode, text, answer: '', done: false };
  conv.turns.push(turn);
  renderConversation();
  const el = $('conversation').lastElementChild;
  el.scrollIntoView({ block: 'nearest' });
  const answerEl = el.querySelector('.answer');

  const controller = new AbortController();
  state.abort = controller;
  setBusy(true);
  const started = performance.now();
  let tokens = 0;
  try {
    let res;
    // A long conversation may not fit the model's context: drop the oldest turns (the
    // picture stays) until it does.
    for (;;) {
      const body = {
        model: 'moondream', stream: true, messages: buildMessages([...history, turn]),
        max_tokens: m.max_tokens, temperature: m.temperature, top_p: m.top_p,
      };
      res = await fetch('/v1/chat/completions', {
        method: 'POST', headers: { 'Content-Type': 'application/json', ...authHeaders() },
        body: JSON.stringify(body), signal: controller.signal,
      });
      if (res.status !== 400 || history.length === 0) break;
      const err = await res.clone().json().catch(() => ({}));
      if (!err.error || err.error.code !== 'context_length_exceeded') break;
      history.shift();
    }
    if (!res.ok) {
      let message = `HTTP ${res.status}`;
      try { message = (await res.json()).error.message || message; } catch (e) { /* keep */ }
      if (res.status === 401) { $('api-key-row').hidden = false; message = `${t('needKey')}\n${message}`; }
      if (res.status === 503 && !(state.info && state.info.loaded)) message = `${t('loading')}\n${message}`;
      throw new Error(message);
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let finished = false;
    while (!finished) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let sep;
      while ((sep = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        if (!event.startsWith('data: ')) continue;
        const payload = event.slice(6);
        if (payload === '[DONE]') { finished = true; break; }
        const j = JSON.parse(payload);
        if (j.error) throw new Error(j.error.message || 'error');
        const choice = j.choices && j.choices[0];
        if (choice && choice.delta && choice.delta.content) {
          turn.answer += choice.delta.content;
          tokens += 1;
          answerEl.textContent = turn.answer;
        }
      }
    }
    turn.done = true;
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    turn.stats = `${secs} ${t('seconds')}`;
  } catch (e) {
    if (e.name === 'AbortError') {
      turn.done = true;
      turn.answer += ` ${t('stopped')}`;
    } else {
      turn.error = e instanceof TypeError ? t('network') : e.message;
      showError(turn.error);
    }
  } finally {
    state.abort = null;
    setBusy(false);
    conv.updated = Date.now();
    renderConversation();
    await saveConv(conv);
    renderHistory();
  }
}

// ---------------------------------------------------------------- history
async function renderHistory() {
  const list = $('history-list');
  if (!list) return;
  const items = (await allConvs()).filter((c) => c.turns && c.turns.length)
    .sort((a, b) => b.updated - a.updated);
  list.textContent = '';
  $('history-empty').hidden = items.length > 0;
  items.forEach((c) => {
    const li = document.createElement('li');
    if (state.conv && c.id === state.conv.id) li.className = 'current';
    const img = document.createElement('img');
    img.src = c.thumb || '';
    img.alt = '';
    const text = document.createElement('div');
    const first = c.turns.find((x) => x.answer) || c.turns[0];
    const line = document.createElement('div');
    line.className = 'h-text';
    line.textContent = first ? (first.answer || first.text) : c.name;
    const date = document.createElement('div');
    date.className = 'h-date';
    date.textContent = `${new Date(c.updated).toLocaleString(state.lang === 'zh' ? 'zh-CN' : 'en')} · ${c.turns.length}`;
    text.append(line, date);
    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'ghost small';
    del.textContent = '×';
    del.title = t('deleteItem');
    del.addEventListener('click', async (ev) => {
      ev.stopPropagation();
      await deleteConv(c.id);
      if (state.conv && state.conv.id === c.id) { state.conv = null; await showPicture(false); }
      renderHistory();
    });
    li.append(img, text, del);
    li.addEventListener('click', async () => {
      if (state.abort) return;
      state.conv = c;
      await showPicture(false);
      renderHistory();
      if (window.matchMedia('(max-width: 900px)').matches) toggleHistory(false);
    });
    list.appendChild(li);
  });
}

function toggleHistory(show) {
  const h = $('history');
  const visible = show === undefined ? h.hidden : show;
  h.hidden = !visible;
  document.querySelector('.layout').classList.toggle('with-history', visible);
  localStorage.setItem('md.history', visible ? '1' : '0');
}

// ---------------------------------------------------------------- wiring
async function loadInfo() {
  try {
    const res = await fetch('/api/info', { cache: 'no-store' });
    state.info = await res.json();
    $('demo-badge').hidden = !state.info.demo;
    $('model-name').textContent = state.info.model || '';
    if (state.info.auth_required && !localStorage.getItem('md.apiKey')) $('api-key-row').hidden = false;
    if (!state.info.loaded) setTimeout(loadInfo, 2000);
  } catch (e) {
    setTimeout(loadInfo, 3000);
  }
}

function wire() {
  const drop = $('drop-zone');
  const input = $('file-input');
  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') input.click(); });
  input.addEventListener('change', () => { if (input.files[0]) usePicture(input.files[0]); input.value = ''; });
  ['dragenter', 'dragover'].forEach((ev) => drop.addEventListener(ev, (e) => {
    e.preventDefault();
    drop.classList.add('dragging');
  }));
  ['dragleave', 'drop'].forEach((ev) => drop.addEventListener(ev, (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
  }));
  drop.addEventListener('drop', (e) => {
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) usePicture(f);
  });
  document.addEventListener('paste', (e) => {
    const items = (e.clipboardData && e.clipboardData.items) || [];
    for (const item of items) {
      if (item.kind === 'file' && item.type.startsWith('image/')) {
        e.preventDefault();
        usePicture(item.getAsFile());
        return;
      }
    }
  });
  $('new-picture').addEventListener('click', () => input.click());
  $('btn-long').addEventListener('click', () => run('long'));
  $('btn-short').addEventListener('click', () => run('short'));
  $('ask-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const q = $('question').value;
    if (q.trim()) $('question').value = '';
    run('query', q);
  });
  $('question').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('ask-form').requestSubmit();
    }
  });
  $('btn-stop').addEventListener('click', () => { if (state.abort) state.abort.abort(); });
  $('lang-switch').addEventListener('click', () => applyLanguage(state.lang === 'zh' ? 'en' : 'zh'));
  $('history-toggle').addEventListener('click', () => toggleHistory());
  $('history-clear').addEventListener('click', async () => {
    if (!window.confirm(t('confirmClear'))) return;
    await clearConvs();
    renderHistory();
  });
  $('api-key').addEventListener('change', (e) => localStorage.setItem('md.apiKey', e.target.value.trim()));
}

async function restoreLast() {
  const items = (await allConvs()).sort((a, b) => b.updated - a.updated);
  if (items.length) {
    state.conv = items[0];
    await showPicture(false);
  }
}

wire();
applyLanguage(initialLanguage());
toggleHistory(localStorage.getItem('md.history') !== '0' && window.innerWidth > 900);
loadInfo();
restoreLast().then(renderHistory);
