// Page behaviour that no library gives us. Kept small and free of inline handlers.
document.addEventListener("htmx:responseError", (event) => {
  // A failed partial update must not go unnoticed: say so at the top of the page.
  const main = document.querySelector("main");
  if (!main) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  alert.textContent = "Не удалось обновить страницу (" + event.detail.xhr.status + "). Попробуйте ещё раз.";
  main.prepend(alert);
});
