import type { TemplateSource } from './template-source.js';

/** `password-reset` — data: `{ name?, resetUrl, expiresInMinutes }`. */
export const passwordResetTemplate: TemplateSource = Object.freeze({
  html: `<h1>Reset your password</h1>
<p>Hello{{#if name}} {{name}}{{/if}},</p>
<p>Someone asked to reset the password of your account. If it was you, choose a new one:</p>
<p><a class="button" href="{{resetUrl}}">Choose a new password</a></p>
<p class="muted">Or paste this link into your browser: {{resetUrl}}</p>
<p class="muted">The link expires in {{expiresInMinutes}} minutes. If you did not ask for it, ignore this email; your password stays as it is.</p>`,
  text: `Hello{{#if name}} {{name}}{{/if}},

Someone asked to reset the password of your account. If it was you, choose a new one here:

{{resetUrl}}

The link expires in {{expiresInMinutes}} minutes. If you did not ask for it, ignore this email; your password stays as it is.
`,
});
