/// The console's own stylesheet and script.
enum AssetSources {
    /// Light by default, dark when the system prefers it; system fonts; no external resource.
    static let css = """
        :root {
          --bg: #f7f7f5; --panel: #ffffff; --text: #1d1d1f; --muted: #6b6b70; --line: #e2e2e0;
          --accent: #2458d6; --approve: #1f7a3d; --deny: #b3261e; --warn: #9a6700; --code: #f0f0ee; --focus: #2458d6;
          color-scheme: light dark;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #111214; --panel: #1b1c1f; --text: #ececec; --muted: #a0a0a8; --line: #2d2e33;
            --accent: #7aa2ff; --approve: #4cc374; --deny: #ff7a70; --warn: #e3b341; --code: #25262b; --focus: #7aa2ff;
          }
        }
        * { box-sizing: border-box; }
        html { font-size: 16px; }
        body { margin: 0; background: var(--bg); color: var(--text);
          font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif; line-height: 1.5; }
        code, pre, kbd { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.875rem; }
        a { color: var(--accent); }
        header.top { display: flex; align-items: center; gap: 1.5rem; padding: 0.75rem 1.5rem; border-bottom: 1px solid var(--line); background: var(--panel); }
        .brand { font-weight: 700; text-decoration: none; color: var(--text); }
        .brand span { color: var(--muted); font-weight: 400; }
        nav { display: flex; gap: 1rem; }
        nav a { text-decoration: none; color: var(--muted); padding: 0.25rem 0; }
        nav a[aria-current="page"] { color: var(--text); border-bottom: 2px solid var(--accent); }
        .who { margin-left: auto; color: var(--muted); }
        main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
        h1 { font-size: 1.5rem; margin: 0.5rem 0 1rem; }
        h2 { font-size: 1.125rem; margin: 1.5rem 0 0.75rem; }
        .muted { color: var(--muted); }
        .count { display: inline-block; min-width: 1.75rem; padding: 0 0.5rem; border-radius: 1rem; background: var(--accent); color: var(--panel); text-align: center; font-size: 1rem; }
        .badge { display: inline-block; padding: 0 0.5rem; border-radius: 0.375rem; border: 1px solid var(--line); font-size: 0.8125rem; color: var(--muted); }
        .badge.approved, .badge.completed, .badge.merged { color: var(--approve); border-color: currentColor; }
        .badge.denied, .badge.failed, .badge.halted { color: var(--deny); border-color: currentColor; }
        .badge.expired, .badge.changed, .badge.new { color: var(--warn); border-color: currentColor; }
        .approval, .pin, .empty, .message, .name-banner { background: var(--panel); border: 1px solid var(--line); border-radius: 0.75rem; padding: 1rem 1.25rem; margin-bottom: 1rem; }
        .approval:focus, .approval.selected { outline: 3px solid var(--focus); outline-offset: 2px; }
        .approval header { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: baseline; }
        .tool { font-size: 1.125rem; }
        .facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.125rem 1rem; margin: 0.75rem 0; }
        .facts dt { color: var(--muted); }
        .facts dd { margin: 0; }
        pre { background: var(--code); border-radius: 0.5rem; padding: 0.75rem; overflow-x: auto; margin: 0.5rem 0; }
        .decide { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 0.75rem; }
        .decide input { flex: 1 1 18rem; }
        input, select, button { font: inherit; padding: 0.4rem 0.75rem; border-radius: 0.5rem; border: 1px solid var(--line); background: var(--bg); color: var(--text); }
        button { cursor: pointer; font-weight: 600; }
        button.approve, button[data-action="approve-pin"] { background: var(--approve); color: #fff; border-color: var(--approve); }
        button.deny { background: var(--deny); color: #fff; border-color: var(--deny); }
        button:disabled { opacity: 0.5; cursor: progress; }
        .error { color: var(--deny); margin: 0.5rem 0 0; }
        .status { min-height: 1.5rem; color: var(--muted); }
        .keys { color: var(--muted); font-size: 0.875rem; }
        kbd { border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 0.25rem; padding: 0 0.3rem; background: var(--panel); }
        .decided { padding: 0.5rem 0; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: baseline; }
        .decided q { color: var(--text); }
        .diff .added { color: var(--approve); }
        .diff .removed { color: var(--deny); }
        .name-banner { display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
        table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 0.5rem; }
        th, td { text-align: left; padding: 0.4rem 0.75rem; border-bottom: 1px solid var(--line); }
        th { color: var(--muted); font-weight: 600; }
        .num { text-align: right; font-variant-numeric: tabular-nums; }
        .columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr)); gap: 1.5rem; }
        meter { width: 8rem; }
        .chain { padding: 0.5rem 0.75rem; border-radius: 0.5rem; border: 1px solid currentColor; display: inline-block; }
        .chain.intact { color: var(--approve); }
        .chain.broken { color: var(--deny); font-weight: 700; }
        .halt { color: var(--deny); }
        .tree, .tree ul { list-style: none; padding-left: 1.25rem; border-left: 1px solid var(--line); }
        .tree { padding-left: 0.5rem; }
        .tree a[aria-current="page"] { font-weight: 700; }
        .timeline { list-style: none; padding: 0; }
        .timeline li { padding: 0.375rem 0; border-bottom: 1px solid var(--line); }
        .timeline time { color: var(--muted); font-variant-numeric: tabular-nums; }
        .chart { max-width: 100%; height: auto; }
        .chart .bar { fill: var(--accent); }
        .chart text { fill: var(--text); font-size: 13px; }
        .chart .value { fill: var(--muted); }
        """
}
