import Mustache

/// The console's Mustache templates, compiled once. `{{…}}` escapes HTML; `{{{…}}}` is used only
/// for HTML the console rendered itself (a partial's output, an SVG chart).
enum Templates {
    static let library: MustacheLibrary = {
        var templates: [String: MustacheTemplate] = [:]
        for (name, text) in sources {
            // The templates are constants of this file; one that does not parse is a programming error.
            templates[name] = try! MustacheTemplate(string: text)
        }
        return MustacheLibrary(templates: templates)
    }()

    static func render(_ name: String, _ context: [String: Any]) -> String {
        library.render(context, withTemplate: name) ?? ""
    }

    static let sources: [String: String] = [
        "layout": layout, "approvals": approvals, "live": live, "approvalCard": approvalCard,
        "runs": runs, "run": run, "treeNode": treeNode, "spend": spend, "message": message,
    ]

    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        {{#csrf}}<meta name="csrf-token" content="{{csrf}}">{{/csrf}}
        <title>{{title}} · RiskKernel console</title>
        <link rel="stylesheet" href="/assets/console.css">
        <script src="/assets/console.js" defer></script>
        </head>
        <body data-page="{{page}}">
        <header class="top">
          <a class="brand" href="/">RiskKernel <span>console</span></a>
          {{#signedIn}}
          <nav>
            <a href="/"{{#onApprovals}} aria-current="page"{{/onApprovals}}>Approvals</a>
            <a href="/runs"{{#onRuns}} aria-current="page"{{/onRuns}}>Runs</a>
            <a href="/spend"{{#onSpend}} aria-current="page"{{/onSpend}}>Spend</a>
          </nav>
          <span class="who">deciding as <strong id="decider">{{decider}}</strong></span>
          {{/signedIn}}
        </header>
        <main>
        {{{content}}}
        </main>
        </body>
        </html>
        """

    static let message = """
        <section class="message">
          <h1>{{title}}</h1>
          <p>{{text}}</p>
          {{#hint}}<p class="hint">{{hint}}</p>{{/hint}}
        </section>
        """

    static let approvals = """
        {{^nameConfirmed}}
        <form class="name-banner" id="name-form">
          <label for="decider-name">Decisions are recorded under your name:</label>
          <input id="decider-name" name="decider" value="{{decider}}" autocomplete="name" maxlength="100">
          <button type="submit">Save</button>
        </form>
        {{/nameConfirmed}}
        <p class="keys">Keys on a selected approval: <kbd>a</kbd> approve · <kbd>d</kbd> deny · <kbd>r</kbd> write a reason · <kbd>j</kbd>/<kbd>k</kbd> next/previous</p>
        <p class="status" id="status" role="status" aria-live="polite"></p>
        <div id="live" data-live="approvals">{{{live}}}</div>
        """

    /// The part of the approvals page that is read again on each change.
    static let live = """
        <section class="pending" aria-labelledby="pending-title">
          <h1 id="pending-title">Waiting for a decision <span class="count" data-pending-count="{{pendingCount}}">{{pendingCount}}</span></h1>
          {{#pending}}{{> approvalCard}}{{/pending}}
          {{^pending}}
          <div class="empty">
            <p><strong>No call is waiting for a decision.</strong> Calls held by a policy's <code>approve</code> rule appear here the moment they are made.</p>
            <p>Wrap an MCP server with the gateway on this same store, for example:</p>
            <pre>riskkernel gateway --policy policy.yaml {{storeOptions}} -- npx -y @modelcontextprotocol/server-filesystem .</pre>
            <p>and point your agent's MCP client at that command instead of the server's.</p>
          </div>
          {{/pending}}
        </section>
        {{#hasPins}}
        <section class="pins" aria-labelledby="pins-title">
          <h2 id="pins-title">Tool definitions that changed</h2>
          {{#pins}}
          <article class="pin" data-pin-server="{{server}}" data-pin-tool="{{tool}}">
            <header><strong>{{tool}}</strong> of <code>{{server}}</code> <span class="badge">{{status}}</span></header>
            <pre class="diff">{{#diff}}<span class="{{kind}}">{{text}}</span>
        {{/diff}}</pre>
            <button type="button" data-action="approve-pin">Approve this definition</button>
          </article>
          {{/pins}}
        </section>
        {{/hasPins}}
        <section class="history" aria-labelledby="history-title">
          <h2 id="history-title">Decided</h2>
          {{#decided}}
          <article class="decided {{status}}" data-decided-id="{{id}}">
            <span class="badge {{status}}">{{status}}</span>
            <strong>{{tool}}</strong> <span class="muted">{{sideEffect}}</span>
            {{#decidedBy}}by <strong>{{decidedBy}}</strong>{{/decidedBy}}
            {{#reason}}<q>{{reason}}</q>{{/reason}}
            <a href="/runs/{{runId}}">{{runId}}</a>
            <time datetime="{{decidedAt}}" data-since="{{decidedAt}}">{{decidedAt}}</time>
          </article>
          {{/decided}}
          {{^decided}}<p class="muted">Nothing decided yet.</p>{{/decided}}
        </section>
        """

    static let approvalCard = """
        <article class="approval" data-approval-id="{{id}}" tabindex="0" aria-label="Approval of {{tool}}">
          <header>
            <strong class="tool">{{tool}}</strong>
            <span class="badge effect">{{sideEffect}}</span>
            <span class="muted">rule <code>{{rule}}</code></span>
            {{#server}}<span class="muted">server <code>{{server}}</code></span>{{/server}}
          </header>
          <dl class="facts">
            <dt>Run</dt><dd><a href="/runs/{{runId}}">{{runId}}</a></dd>
            <dt>Held</dt><dd><time datetime="{{createdAt}}" data-since="{{createdAt}}">{{createdAt}}</time></dd>
            {{#expiresAt}}<dt>Expires</dt><dd><time datetime="{{expiresAt}}" data-until="{{expiresAt}}">{{expiresAt}}</time></dd>{{/expiresAt}}
          </dl>
          {{#forwarded}}<p class="muted">A rule rewrote the arguments. What will run:</p><pre class="arguments">{{forwarded}}</pre><p class="muted">What the model sent:</p>{{/forwarded}}
          <pre class="arguments">{{arguments}}</pre>
          <div class="decide">
            <input name="reason" type="text" placeholder="Reason (shown to the agent on a denial)" aria-label="Reason" maxlength="1000">
            <select name="scope" aria-label="Scope of an approval">
              <option value="once">this call</option>
              <option value="run">this tool for the rest of the run</option>
              <option value="always">this tool of this server, always</option>
            </select>
            <button type="button" class="approve" data-action="approve">Approve</button>
            <button type="button" class="deny" data-action="deny">Deny</button>
          </div>
          <p class="error" role="alert" hidden></p>
        </article>
        """

    static let runs = """
        <h1>Runs</h1>
        {{#hasRuns}}
        <table class="runs">
          <thead><tr><th>Run</th><th>Name</th><th>Status</th><th>Policy</th><th class="num">Tokens</th><th class="num">Dollars</th><th class="num">Tool calls</th><th>Started</th></tr></thead>
          <tbody>
          {{#runs}}
          <tr data-run-id="{{id}}"><td><a href="/runs/{{id}}">{{id}}</a></td><td>{{name}}</td><td><span class="badge {{status}}">{{status}}</span></td><td>{{policy}}</td>
          <td class="num">{{tokens}}</td><td class="num">{{dollars}}</td><td class="num">{{toolCalls}}</td><td><time datetime="{{createdAt}}" data-since="{{createdAt}}">{{createdAt}}</time></td></tr>
          {{/runs}}
          </tbody>
        </table>
        {{/hasRuns}}
        {{^hasRuns}}<div class="empty"><p>No runs yet. Each gateway, <code>llm-proxy</code> session or agent run records one here.</p></div>{{/hasRuns}}
        """

    static let run = """
        <h1>Run <code>{{id}}</code> {{#name}}<span class="muted">{{name}}</span>{{/name}} <span class="badge {{status}}">{{status}}</span></h1>
        {{#haltReason}}<p class="halt">{{haltReason}}</p>{{/haltReason}}
        <p class="chain {{chainClass}}" data-chain="{{chainClass}}">{{chainText}}</p>
        <div class="columns">
        <section>
          <h2>Budget</h2>
          <table class="budget">
            <thead><tr><th></th><th class="num">Used</th><th class="num">Tree</th><th class="num">Budget</th><th></th></tr></thead>
            <tbody>
            {{#budget}}
            <tr><th>{{label}}</th><td class="num">{{used}}</td><td class="num">{{tree}}</td><td class="num">{{limit}}</td>
            <td>{{#hasLimit}}<meter min="0" max="1" low="0.7" high="0.9" optimum="0" value="{{fraction}}">{{percent}}</meter>{{/hasLimit}}</td></tr>
            {{/budget}}
            </tbody>
          </table>
          <dl class="facts">
            <dt>Policy</dt><dd>{{policy}}</dd>
            <dt>Started</dt><dd><time datetime="{{createdAt}}">{{createdAt}}</time></dd>
            {{#endedAt}}<dt>Ended</dt><dd><time datetime="{{endedAt}}">{{endedAt}}</time></dd>{{/endedAt}}
            {{#parent}}<dt>Parent</dt><dd><a href="/runs/{{parent}}">{{parent}}</a></dd>{{/parent}}
          </dl>
        </section>
        <section>
          <h2>Run tree</h2>
          <ul class="tree">{{#tree}}{{> treeNode}}{{/tree}}</ul>
        </section>
        </div>
        <section>
          <h2>Timeline</h2>
          {{#hasTimeline}}
          <ol class="timeline">
          {{#timeline}}
            <li data-kind="{{kind}}"><time datetime="{{at}}">{{at}}</time> <span class="badge">{{label}}</span> <strong>{{title}}</strong> <span class="muted">{{detail}}</span></li>
          {{/timeline}}
          </ol>
          {{/hasTimeline}}
          {{^hasTimeline}}<p class="muted">Nothing recorded yet.</p>{{/hasTimeline}}
        </section>
        """

    static let treeNode = """
        <li><a href="/runs/{{id}}"{{#current}} aria-current="page"{{/current}}>{{id}}</a> {{#name}}<span class="muted">{{name}}</span>{{/name}} <span class="badge {{status}}">{{status}}</span> <span class="muted">{{dollars}}</span>{{#hasChildren}}<ul>{{#children}}{{> treeNode}}{{/children}}</ul>{{/hasChildren}}</li>
        """

    static let spend = """
        <h1>Spend</h1>
        <section>
          <h2>By day</h2>
          {{{byDay}}}
        </section>
        <section>
          <h2>By model</h2>
          {{{byModel}}}
        </section>
        <p class="muted">Total: {{total}} over {{calls}} model calls. <code>GET /api/usage?by=day</code> and <code>?by=model</code> give these as JSON.</p>
        """
}
