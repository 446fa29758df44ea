// The seeds' option A for a page refreshed mid-answer (architecture, « Flux après F5 »):
// the task id is kept in the page's address, http://localhost:8501?task_id=..., so F5
// reloads a page that knows its task. The Chainlit app (stacks/common/frontend.py) sends
// the id with cl.send_window_message after submitting; Chainlit posts it to the window,
// and this rewrites the address without reloading.
window.addEventListener("message", (event) => {
  if (event.origin !== window.location.origin || !event.data || typeof event.data.task_id !== "string") return;
  const url = new URL(window.location.href);
  url.searchParams.set("task_id", event.data.task_id);
  window.history.replaceState(null, "", url);
});
