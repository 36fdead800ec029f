import type { TemplateSource } from './template-source.js';

/** `welcome` — data: `{ name, loginUrl?, product? }`. */
export const welcomeTemplate: TemplateSource = Object.freeze({
  html: `<h1>Welcome, {{name}}!</h1>
<p>Your {{#if product}}{{product}}{{else}}Conveyor{{/if}} account is ready.</p>
{{#if loginUrl}}
<p><a class="button" href="{{loginUrl}}">Sign in</a></p>
<p class="muted">Or paste this link into your browser: {{loginUrl}}</p>
{{/if}}`,
  text: `Welcome, {{name}}!

Your {{#if product}}{{product}}{{else}}Conveyor{{/if}} account is ready.
{{#if loginUrl}}

Sign in: {{loginUrl}}
{{/if}}
`,
});
