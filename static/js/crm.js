// Page behaviour that no library gives us. Kept small and free of inline handlers.

// The Content-Security-Policy allows no inline <style>: htmx's indicator rules live in crm.css
// instead of being injected (read when the page is ready, after this deferred script ran).
htmx.config.includeIndicatorStyles = false;
// Nothing here needs htmx to evaluate code from attributes (hx-on, js: values); the policy would refuse it anyway.
htmx.config.allowEval = false;

// Forms answer 422 with themselves and their errors: swap those in like a 200.
htmx.config.responseHandling = [
  { code: "204", swap: false },
  { code: "[23]..", swap: true },
  { code: "422", swap: true },
  { code: "[45]..", swap: false, error: true },
];

document.addEventListener("htmx:responseError", (event) => {
  // A refused or failed partial update must not go unnoticed: say why at the top of the page.
  const main = document.querySelector("main");
  if (!main) return;
  const xhr = event.detail.xhr;
  const plain = (xhr.getResponseHeader("Content-Type") || "").startsWith("text/plain");
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  alert.dataset.testid = "htmx-error";
  alert.textContent = plain && xhr.responseText ? xhr.responseText : "Не удалось выполнить действие (" + xhr.status + "). Попробуйте ещё раз.";
  main.prepend(alert);
  document.querySelectorAll(".modal.show").forEach((m) => window.bootstrap && bootstrap.Modal.getInstance(m)?.hide());
});

document.querySelectorAll("[data-autosubmit]").forEach((el) => el.addEventListener("change", () => el.form.submit()));
