// socketiod's demo: one chat room at a time on the built-in service (the
// events of socketiod-events(7)), with the stock socket.io-client bundle.
// Plain ES2017 for the browser, no build step. Text that comes from users
// or from the server only ever goes through textContent.
"use strict";

(function () {
  const TYPING_IDLE_MS = 2000; // "stopped typing" after this much quiet
  const TYPING_REFRESH_MS = 3000; // the server forgets "typing" after 5 s
  const TYPER_EXPIRY_MS = 7000; // in case an isTyping:false never comes
  const ACK_TIMEOUT_MS = 5000;

  const byId = (id) => document.getElementById(id);
  const el = {
    joinForm: byId("join-form"),
    name: byId("name"),
    room: byId("room"),
    join: byId("join"),
    status: byId("status"),
    listeners: byId("listeners"),
    chat: byId("chat"),
    roomName: byId("room-name"),
    messages: byId("messages"),
    typing: byId("typing"),
    sendForm: byId("send-form"),
    input: byId("input"),
    send: byId("send"),
    presence: byId("presence"),
    count: byId("count"),
    error: byId("error"),
  };

  let socket = null; // the current connection
  let username = ""; // the name it connected with
  let room = null; // the room joined, null before the join's ack
  const shown = new Map(); // message id -> its <li>
  const ownIds = new Set(); // ids of the messages this page sent
  const typers = new Map(); // userId -> { username, timer }
  let typing = false; // this page told the room it is typing
  let typingSentAt = 0;
  let idleTimer = null;

  // --- small helpers ---------------------------------------------------

  function remember(key, value) {
    try {
      localStorage.setItem("socketiod-demo-" + key, value);
    } catch (e) {
      // storage disabled: nothing to remember
    }
  }

  function recall(key) {
    try {
      return localStorage.getItem("socketiod-demo-" + key);
    } catch (e) {
      return null;
    }
  }

  function node(tag, className, text) {
    const n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined) n.textContent = String(text);
    return n;
  }

  function setStatus(state) {
    el.status.dataset.state = state;
    el.status.textContent = state;
  }

  function showError(text) {
    el.error.textContent = text || "";
    el.error.hidden = !text;
  }

  // Emits with an ack, bounded in time. Resolves to the server's answer,
  // {ok:true, ...} or {ok:false, error}.
  function request(event, payload) {
    const s = socket;
    return new Promise((resolve) => {
      s.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err, res) => {
        if (err) resolve({ ok: false, error: "no answer from the server" });
        else if (!res || typeof res !== "object")
          resolve({ ok: false, error: "unexpected answer" });
        else resolve(res);
      });
    });
  }

  // --- messages ----------------------------------------------------------

  function isOwn(msg) {
    return ownIds.has(msg.id) || (socket && msg.userId === socket.id);
  }

  function clearMessages() {
    shown.clear();
    el.messages.textContent = "";
  }

  function addMessage(msg) {
    if (!msg || typeof msg !== "object") return;
    if (msg.id !== undefined && shown.has(String(msg.id))) return;
    const system = msg.system === true;
    const li = node("li", system ? "system" : "message");
    li.dataset.user = system ? "system" : String(msg.username);
    if (msg.userId !== undefined) li.dataset.userId = String(msg.userId);
    if (msg.id !== undefined) {
      li.dataset.id = String(msg.id);
      shown.set(String(msg.id), li);
    }
    if (!system && isOwn(msg)) li.classList.add("own");

    const when = new Date(Number(msg.timestamp));
    if (!isNaN(when.getTime())) {
      const time = node("time", "time");
      time.dateTime = when.toISOString();
      time.textContent = when.toLocaleTimeString([], {
        hour: "2-digit",
        minute: "2-digit",
      });
      li.append(time);
    }
    if (!system) li.append(node("span", "user", msg.username));
    li.append(node("span", "text", msg.message));

    const list = el.messages;
    const atBottom =
      list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    list.append(li);
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  // --- typing --------------------------------------------------------------

  function renderTyping() {
    const names = Array.from(typers.values(), (t) => t.username);
    let text = "";
    if (names.length === 1) text = names[0] + " is typing…";
    else if (names.length === 2)
      text = names[0] + " and " + names[1] + " are typing…";
    else if (names.length > 2) text = names.length + " people are typing…";
    el.typing.textContent = text;
  }

  function dropTyper(userId) {
    const t = typers.get(userId);
    if (!t) return;
    clearTimeout(t.timer);
    typers.delete(userId);
    renderTyping();
  }

  function setTyper(userId, name, isTyping) {
    const id = String(userId);
    if (!isTyping) {
      dropTyper(id);
      return;
    }
    const old = typers.get(id);
    if (old) clearTimeout(old.timer);
    typers.set(id, {
      username: String(name),
      timer: setTimeout(() => dropTyper(id), TYPER_EXPIRY_MS),
    });
    renderTyping();
  }

  function clearTypers() {
    for (const t of typers.values()) clearTimeout(t.timer);
    typers.clear();
    renderTyping();
  }

  // Tells the room, once and then every few seconds while keys come.
  function typed() {
    if (!room || !socket || !socket.connected) return;
    if (el.input.value.trim() === "") {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (!typing || now - typingSentAt >= TYPING_REFRESH_MS) {
      typing = true;
      typingSentAt = now;
      socket.emit("chat:typing", { room, isTyping: true });
    }
    clearTimeout(idleTimer);
    idleTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function stopTyping() {
    clearTimeout(idleTimer);
    idleTimer = null;
    if (!typing) return;
    typing = false;
    if (room && socket && socket.connected)
      socket.emit("chat:typing", { room, isTyping: false });
  }

  // --- presence and counts ---------------------------------------------

  async function refreshPresence() {
    const asked = room;
    if (!asked) return;
    const res = await request("presence:list", { room: asked });
    if (asked !== room) return; // left meanwhile
    if (!res.ok || !Array.isArray(res.users)) {
      showError("Cannot list the room: " + (res.error || "bad answer"));
      return;
    }
    el.presence.textContent = "";
    const here = new Set();
    for (const u of res.users) {
      const li = node("li", "person", u.username);
      li.dataset.userId = String(u.userId);
      if (socket && u.userId === socket.id) li.classList.add("own");
      el.presence.append(li);
      here.add(String(u.userId));
    }
    for (const id of Array.from(typers.keys())) if (!here.has(id)) dropTyper(id);
  }

  function showListeners(stats) {
    if (!stats || typeof stats.count !== "number") return;
    let text = stats.count + (stats.count === 1 ? " listener" : " listeners");
    if (typeof stats.peak === "number") text += " (peak " + stats.peak + ")";
    el.listeners.textContent = text;
    el.listeners.dataset.count = String(stats.count);
  }

  // --- joining -------------------------------------------------------------

  async function join(wanted) {
    const res = await request("chat:join", { room: wanted });
    if (!res.ok) {
      showError('Cannot join "' + wanted + '": ' + res.error);
      return false;
    }
    room = wanted;
    showError("");
    el.roomName.textContent = wanted;
    el.chat.hidden = false;
    clearMessages();
    clearTypers();
    if (Array.isArray(res.history)) res.history.forEach(addMessage);
    if (typeof res.count === "number") el.count.textContent = res.count;
    refreshPresence();
    return true;
  }

  // A new connection under `name` (the name is the handshake's auth, so a
  // new name needs a new connection).
  function connect(name) {
    if (socket) {
      socket.disconnect();
      socket = null;
    }
    username = name;
    room = null;
    typing = false;
    clearTypers();
    setStatus("connecting");
    const s = io({ auth: { username: name }, forceNew: true });
    socket = s;
    const current = () => s === socket;

    s.on("connect", () => {
      if (!current()) return;
      setStatus("connected");
      // a new session lost its rooms (a recovered one kept them)
      if (room && !s.recovered) join(room);
    });
    s.on("disconnect", () => {
      if (!current()) return;
      setStatus("disconnected");
      typing = false;
      clearTypers();
    });
    s.io.on("reconnect_attempt", () => {
      if (current()) setStatus("reconnecting");
    });
    s.on("connect_error", (err) => {
      if (!current()) return;
      if (!s.active) {
        // refused by the server (e.g. authentication): no retry
        setStatus("disconnected");
        showError("Connection refused: " + err.message);
      }
    });

    s.on("chat:message", (msg) => {
      if (!current() || !msg || msg.room !== room) return;
      if (msg.userId !== undefined) dropTyper(String(msg.userId));
      addMessage(msg);
    });
    s.on("chat:typing", (t) => {
      if (!current() || !t || t.room !== room) return;
      setTyper(t.userId, t.username, t.isTyping === true);
    });
    s.on("chat:user-count", (c) => {
      if (!current() || !c || c.room !== room) return;
      if (typeof c.count === "number") el.count.textContent = c.count;
      refreshPresence();
    });
    s.on("stats:listeners", (stats) => {
      if (current()) showListeners(stats);
    });
    s.on("error", (e) => {
      if (current()) showError((e && e.message) || "error from the server");
    });
  }

  // --- the forms -----------------------------------------------------------

  el.joinForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = el.name.value.trim();
    const wanted = el.room.value.trim();
    if (!name || !wanted) return;
    remember("name", name);
    remember("room", wanted);
    showError("");
    el.join.disabled = true;
    try {
      if (!socket || !socket.active || name !== username) {
        connect(name); // first, refused or given up, or a new name
      } else if (room && room !== wanted) {
        stopTyping();
        const left = room;
        room = null;
        await request("chat:leave", { room: left });
      } else if (room === wanted) {
        return;
      }
      if (await join(wanted)) el.input.focus();
    } finally {
      el.join.disabled = false;
    }
  });

  el.input.addEventListener("input", typed);

  el.sendForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = el.input.value;
    if (!room || text.trim() === "") return;
    stopTyping();
    el.send.disabled = true;
    const res = await request("chat:message", { room, message: text.trim() });
    el.send.disabled = false;
    if (res.ok) {
      ownIds.add(res.id);
      const li = shown.get(String(res.id));
      if (li) li.classList.add("own");
      if (el.input.value === text) el.input.value = "";
      showError("");
    } else {
      showError("Not sent: " + res.error);
    }
    el.input.focus();
  });

  el.name.value = recall("name") || "";
  el.room.value = recall("room") || el.room.value;
  (el.name.value ? el.room : el.name).focus();
})();
