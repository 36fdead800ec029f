import type { TemplateName } from '@conveyor/contracts';

/**
 * Subject of each template when its `MAIL_SUBJECT_*` variable is unset: handlebars over the
 * template's data, rendered as plain text on one line.
 */
export const DEFAULT_SUBJECTS: Readonly<Record<TemplateName, string>> = Object.freeze({
  welcome: 'Welcome to {{#if product}}{{product}}{{else}}Conveyor{{/if}}',
  'password-reset': 'Reset your password',
  notification: '{{title}}',
  digest: 'Conveyor digest: {{counts.failed}} failed, {{counts.pending}} pending',
});
