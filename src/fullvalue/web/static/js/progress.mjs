// Progressive enhancement: update an import's progress without reloading; reload when done.
const box = document.getElementById("import-progress");
if (box) {
  const text = box.querySelector(".fv-progress-text");
  const poll = async () => {
    try {
      const response = await fetch(box.dataset.url, { credentials: "same-origin" });
      const data = await response.json();
      if (data.status === "done" || data.status === "failed") {
        window.location.reload();
        return;
      }
      if (text) {
        text.textContent = `${data.processed.toLocaleString()} of ${data.total.toLocaleString()} rows`;
      }
    } catch (error) {
      // Keep the "Check progress" link working if the request fails.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 2000);
}
