import type { TemplateSource } from './template-source.js';

/** `notification` — data: `{ title, message, actionUrl?, actionLabel? }`. */
export const notificationTemplate: TemplateSource = Object.freeze({
  html: `<h1>{{title}}</h1>
{{#each (paragraphs message)}}
<p>{{#each this}}{{this}}{{#unless @last}}<br>{{/unless}}{{/each}}</p>
{{/each}}
{{#if actionUrl}}
<p><a class="button" href="{{actionUrl}}">{{#if actionLabel}}{{actionLabel}}{{else}}Open{{/if}}</a></p>
{{/if}}`,
  text: `{{title}}

{{message}}
{{#if actionUrl}}

{{#if actionLabel}}{{actionLabel}}{{else}}Open{{/if}}: {{actionUrl}}
{{/if}}
`,
});
