// Drag and drop on the pipeline board. The server decides every move (a card
// may be dropped on any column, so a refused move is explained, not just
// silently undone, and a drag across columns lands where it is released):
// 200 = moved (the card comes back re-rendered), 422 = the stage needs
// fields (the form comes back for the modal), 409 = not allowed (the card
// goes back where it was, with the reason shown).
(function () {
  const board = document.getElementById("board");
  if (!board || !window.Sortable) return;
  const modalEl = document.getElementById("move-modal");
  const modalBody = document.getElementById("move-modal-body");
  const modal = window.bootstrap ? new bootstrap.Modal(modalEl) : null;
  const alertBox = document.getElementById("move-alert");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  let pending = null; // {card, from, oldIndex, to}

  function showAlert(text) {
    alertBox.textContent = text;
    alertBox.classList.remove("d-none");
  }

  function count(column, delta) {
    const badge = column.closest(".board-column").querySelector("[data-count]");
    badge.textContent = String(parseInt(badge.textContent, 10) + delta);
  }

  function revert(move) {
    const ref = move.from.children[move.oldIndex] || null;
    move.from.insertBefore(move.card, ref);
  }

  function settle(move, html) {
    const wrapper = document.createElement("div");
    wrapper.innerHTML = html.trim();
    const fresh = wrapper.firstElementChild;
    move.card.replaceWith(fresh);
    count(move.from, -1);
    count(move.to, +1);
  }

  async function send(move, body) {
    body.set("stage", move.to.dataset.stage);
    const response = await fetch(move.card.dataset.moveUrl, {
      method: "POST",
      body: body,
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
      credentials: "same-origin",
    });
    const text = await response.text();
    if (response.status === 200) {
      if (modal) modal.hide();
      pending = null;
      settle(move, text);
    } else if (response.status === 422) {
      pending = move;
      modalBody.innerHTML = text;
      if (modal) modal.show();
    } else {
      if (modal) modal.hide();
      pending = null;
      revert(move);
      // Only the server's own short refusals are shown as they are; an error page is not.
      const plain = (response.headers.get("Content-Type") || "").startsWith("text/plain");
      const fallback = response.status === 404 ? "Сделка не найдена или недоступна." : "Не удалось перенести сделку.";
      showAlert(plain && text ? text : fallback);
    }
  }

  modalBody.addEventListener("submit", (event) => {
    if (!pending) return;
    event.preventDefault();
    send(pending, new FormData(event.target));
  });
  modalEl.addEventListener("hidden.bs.modal", () => {
    if (pending) {
      revert(pending);
      pending = null;
    }
  });

  board.querySelectorAll(".board-cards").forEach((column) => {
    Sortable.create(column, {
      group: "deals",
      draggable: ".board-card",
      sort: false,
      animation: 120,
      onEnd: (evt) => {
        if (evt.from === evt.to) return;
        alertBox.classList.add("d-none");
        send({ card: evt.item, from: evt.from, oldIndex: evt.oldIndex, to: evt.to }, new FormData());
      },
    });
  });
})();
