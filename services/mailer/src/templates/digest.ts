import type { TemplateSource } from './template-source.js';

/** `digest` — data: `{ name?, periodLabel, counts: {pending, running, failed, succeeded}, failedJobs[] }`. */
export const digestTemplate: TemplateSource = Object.freeze({
  html: `<h1>Your jobs in {{periodLabel}}</h1>
{{#if name}}<p>Hello {{name}},</p>{{/if}}
<table class="counts" role="presentation">
<tr><td>Pending</td><td><strong>{{counts.pending}}</strong></td></tr>
<tr><td>Running</td><td><strong>{{counts.running}}</strong></td></tr>
<tr><td>Succeeded</td><td><strong>{{counts.succeeded}}</strong></td></tr>
<tr><td class="failed">Failed</td><td class="failed"><strong>{{counts.failed}}</strong></td></tr>
</table>
{{#if failedJobs.length}}
<p>Recent failures:</p>
<ul>
{{#each failedJobs}}
<li><code>{{id}}</code> {{type}}{{#if error}}: {{error}}{{/if}}</li>
{{/each}}
</ul>
{{else}}
<p>No failed jobs.</p>
{{/if}}`,
  text: `Your jobs in {{periodLabel}}
{{#if name}}

Hello {{name}},
{{/if}}

Pending:   {{counts.pending}}
Running:   {{counts.running}}
Succeeded: {{counts.succeeded}}
Failed:    {{counts.failed}}
{{#if failedJobs.length}}

Recent failures:
{{#each failedJobs}}
- {{id}} {{type}}{{#if error}}: {{error}}{{/if}}
{{/each}}
{{else}}

No failed jobs.
{{/if}}
`,
});
