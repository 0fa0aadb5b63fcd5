extension AssetSources {
    /// Live updates over server-sent events, deciding, keyboard shortcuts and relative times.
    /// Plain script, no framework; every request it makes is same-origin and carries the CSRF token.
    static let js = #"""
        "use strict";
        (() => {
          const csrfMeta = document.querySelector('meta[name="csrf-token"]');
          const csrf = csrfMeta ? csrfMeta.content : "";
          const live = document.getElementById("live");
          const statusLine = document.getElementById("status");

          function say(text) { if (statusLine) statusLine.textContent = text; }

          async function post(url, body) {
            const response = await fetch(url, {
              method: "POST", credentials: "same-origin",
              headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
              body: JSON.stringify(body),
            });
            let answer = null;
            try { answer = await response.json(); } catch (_) { /* not JSON */ }
            if (!response.ok) throw new Error((answer && answer.error) || ("HTTP " + response.status));
            return answer;
          }

          function cards() { return Array.from(document.querySelectorAll("[data-approval-id]")); }

          // Reads the rendered list again, keeping what the person typed and where they were.
          let refreshing = null;
          async function refresh() {
            if (!live) return;
            if (refreshing) { refreshing.again = true; return; }
            refreshing = { again: false };
            try {
              const kept = {};
              for (const card of cards()) {
                kept[card.dataset.approvalId] = {
                  reason: card.querySelector('input[name="reason"]').value,
                  scope: card.querySelector('select[name="scope"]').value,
                };
              }
              const active = document.activeElement;
              const activeCard = active && active.closest ? active.closest("[data-approval-id]") : null;
              const activeId = activeCard ? activeCard.dataset.approvalId : null;
              const inReason = active && active.name === "reason";
              const response = await fetch("/fragments/approvals", { credentials: "same-origin" });
              if (!response.ok) { say("Could not read the approvals (HTTP " + response.status + ")."); return; }
              live.innerHTML = await response.text();
              for (const card of cards()) {
                const saved = kept[card.dataset.approvalId];
                if (!saved) continue;
                card.querySelector('input[name="reason"]').value = saved.reason;
                card.querySelector('select[name="scope"]').value = saved.scope;
              }
              if (activeId) {
                const again = document.querySelector('[data-approval-id="' + CSS.escape(activeId) + '"]');
                if (again) (inReason ? again.querySelector('input[name="reason"]') : again).focus();
              }
              tick();
              document.title = titleWithCount();
            } finally {
              const again = refreshing.again;
              refreshing = null;
              if (again) refresh();
            }
          }

          function titleWithCount() {
            const count = cards().length;
            return (count ? "(" + count + ") " : "") + "Approvals · RiskKernel console";
          }

          async function decide(card, action) {
            const id = card.dataset.approvalId;
            const reasonInput = card.querySelector('input[name="reason"]');
            const reason = reasonInput.value.trim();
            const error = card.querySelector(".error");
            if (action === "deny" && !reason) {
              error.hidden = false;
              error.textContent = "Write the reason for the denial first: the agent is told it.";
              reasonInput.focus();
              return;
            }
            const body = { reason: reason || undefined };
            if (action === "approve") body.scope = card.querySelector('select[name="scope"]').value;
            for (const button of card.querySelectorAll("button")) button.disabled = true;
            try {
              await post("/api/approvals/" + encodeURIComponent(id) + "/" + action, body);
              say((action === "approve" ? "Approved " : "Denied ") + id + ".");
              const next = card.nextElementSibling && card.nextElementSibling.matches("[data-approval-id]") ? card.nextElementSibling.dataset.approvalId : null;
              await refresh();
              const target = next && document.querySelector('[data-approval-id="' + CSS.escape(next) + '"]');
              if (target) target.focus();
            } catch (failure) {
              error.hidden = false;
              error.textContent = failure.message;
              for (const button of card.querySelectorAll("button")) button.disabled = false;
            }
          }

          document.addEventListener("click", (event) => {
            const button = event.target.closest("button[data-action]");
            if (!button) return;
            if (button.dataset.action === "approve-pin") {
              const pin = button.closest("[data-pin-server]");
              button.disabled = true;
              post("/api/tools/pins/approve", { server: pin.dataset.pinServer, tool: pin.dataset.pinTool })
                .then(() => { say("Approved the new definition of " + pin.dataset.pinTool + "."); return refresh(); })
                .catch((failure) => { say(failure.message); button.disabled = false; });
              return;
            }
            const card = button.closest("[data-approval-id]");
            if (card) decide(card, button.dataset.action);
          });

          // a approve, d deny, r reason, j/k move: on the focused approval, not while typing.
          document.addEventListener("keydown", (event) => {
            if (event.ctrlKey || event.metaKey || event.altKey) return;
            const target = event.target;
            const typing = target.matches && target.matches("input, select, textarea");
            if (typing) {
              if (event.key === "Enter" && target.name === "reason") {
                const card = target.closest("[data-approval-id]");
                if (card) { event.preventDefault(); decide(card, "deny"); }
              } else if (event.key === "Escape") {
                const card = target.closest("[data-approval-id]");
                if (card) card.focus();
              }
              return;
            }
            const all = cards();
            const card = target.closest ? target.closest("[data-approval-id]") : null;
            if (event.key === "j" || event.key === "k") {
              if (!all.length) return;
              const index = card ? all.indexOf(card) : -1;
              const next = event.key === "j" ? Math.min(index + 1, all.length - 1) : Math.max(index - 1, 0);
              all[next].focus();
              event.preventDefault();
              return;
            }
            if (!card) return;
            if (event.key === "a") { event.preventDefault(); decide(card, "approve"); }
            else if (event.key === "d") { event.preventDefault(); decide(card, "deny"); }
            else if (event.key === "r") { event.preventDefault(); card.querySelector('input[name="reason"]').focus(); }
          });

          const nameForm = document.getElementById("name-form");
          if (nameForm) {
            nameForm.addEventListener("submit", async (event) => {
              event.preventDefault();
              try {
                const answer = await post("/api/session", { name: nameForm.querySelector("input").value });
                document.getElementById("decider").textContent = answer.decidedBy;
                nameForm.remove();
                say("Decisions are recorded as " + answer.decidedBy + ".");
              } catch (failure) { say(failure.message); }
            });
          }

          // Relative times: "12s ago", "expires in 4m 10s".
          function span(seconds) {
            seconds = Math.max(0, Math.round(seconds));
            if (seconds < 60) return seconds + "s";
            if (seconds < 3600) return Math.floor(seconds / 60) + "m " + (seconds % 60) + "s";
            if (seconds < 86400) return Math.floor(seconds / 3600) + "h " + Math.floor((seconds % 3600) / 60) + "m";
            return Math.floor(seconds / 86400) + "d";
          }
          function tick() {
            const now = Date.now();
            for (const element of document.querySelectorAll("time[data-since]")) {
              element.textContent = span((now - Date.parse(element.dataset.since)) / 1000) + " ago";
              element.title = element.dataset.since;
            }
            for (const element of document.querySelectorAll("time[data-until]")) {
              const left = (Date.parse(element.dataset.until) - now) / 1000;
              element.textContent = left > 0 ? "in " + span(left) : "expired";
              element.title = element.dataset.until;
            }
          }
          tick();
          setInterval(tick, 1000);

          if (live) {
            document.title = titleWithCount();
            // Each event (the first one too: something may have changed since the page was rendered)
            // reads the list again.
            const events = new EventSource("/api/events");
            events.addEventListener("approvals", () => refresh());
            const initial = cards()[0];
            if (initial && !document.activeElement.closest("form")) initial.focus();
          }
        })();
        """#
}
