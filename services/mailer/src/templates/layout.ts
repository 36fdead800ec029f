/**
 * The HTML frame every template's body is placed in. Styles live in one `<style>` block for
 * readability; the renderer inlines them with juice (many mail clients drop `<style>`) once,
 * when it compiles a template, not per message.
 */
export function inLayout(bodyHtml: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { margin: 0; padding: 0; background-color: #f4f5f7; font-family: -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif; color: #1f2933; }
  .wrapper { width: 100%; padding: 24px 0; background-color: #f4f5f7; }
  .card { max-width: 560px; margin: 0 auto; padding: 32px; background-color: #ffffff; border-radius: 8px; }
  h1 { margin: 0 0 16px; font-size: 22px; line-height: 1.3; }
  p { margin: 0 0 16px; font-size: 15px; line-height: 1.6; }
  .button { display: inline-block; padding: 10px 20px; background-color: #2563eb; color: #ffffff; text-decoration: none; border-radius: 6px; font-weight: 600; }
  .muted { color: #6b7280; font-size: 13px; }
  table.counts { border-collapse: collapse; margin: 0 0 16px; }
  table.counts td { padding: 4px 16px 4px 0; font-size: 15px; }
  .failed { color: #b91c1c; }
  .footer { max-width: 560px; margin: 16px auto 0; text-align: center; color: #9ca3af; font-size: 12px; }
</style>
</head>
<body>
<div class="wrapper">
<div class="card">
${bodyHtml}
</div>
<div class="footer">Sent by Conveyor</div>
</div>
</body>
</html>
`;
}
