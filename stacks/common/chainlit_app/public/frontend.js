// How a page refreshed mid-answer finds its task again (architecture, « Flux après F5 »).
// The Chainlit app (stacks/common/frontend.py) sends {task_id, keep} with
// cl.send_window_message after submitting.
// - keep "reattach", the seeds' option A: the id goes into the page's address,
//   http://localhost:8501?task_id=..., rewritten without reloading; F5 reloads a page
//   that knows its task (the app reads it from the socket's Referer).
// - keep "remember", option B: the id goes into localStorage ("current_task"), until the
//   next question replaces it. The app cannot read the browser's storage, so on
//   every load (this script runs before Chainlit's own, which opens the socket) the stored
//   id is copied into a cookie that the socket's first request carries.
const STORED = "current_task";
const COOKIE = "llmchaos_current_task";

function handOver(taskId) {
  document.cookie = taskId
    ? `${COOKIE}=${encodeURIComponent(taskId)}; path=/; SameSite=Strict`
    : `${COOKIE}=; path=/; SameSite=Strict; max-age=0`;
}

handOver(window.localStorage.getItem(STORED));

window.addEventListener("message", (event) => {
  const data = event.data;
  if (event.origin !== window.location.origin || !data) return;
  if (typeof data.task_id === "string" && data.keep === "reattach") {
    const url = new URL(window.location.href);
    url.searchParams.set("task_id", data.task_id);
    window.history.replaceState(null, "", url);
  } else if (typeof data.task_id === "string" && data.keep === "remember") {
    window.localStorage.setItem(STORED, data.task_id);
    handOver(data.task_id);
  }
});
