import Handlebars from 'handlebars';
import juice from 'juice';
import { TEMPLATE_NAMES, type TemplateName, type templateDataSchemas } from '@conveyor/contracts';
import type { z } from 'zod';
import { inLayout } from './layout.js';
import { oneLine } from '../mail/header-text.js';
import { welcomeTemplate } from './welcome.js';
import { passwordResetTemplate } from './password-reset.js';
import { notificationTemplate } from './notification.js';
import { digestTemplate } from './digest.js';
import type { TemplateSource } from './template-source.js';

/** The validated data of a template (defaults applied). */
export type TemplateData<T extends TemplateName> = z.output<(typeof templateDataSchemas)[T]>;

/** What a template renders to. */
export interface RenderedMail {
  /** One line, control characters replaced, at most the subject limit. */
  readonly subject: string;
  readonly text: string;
  /** A whole HTML document with its CSS inlined. */
  readonly html: string;
}

export interface TemplateRenderer {
  render<T extends TemplateName>(template: T, data: TemplateData<T>): RenderedMail;
}

const SOURCES: Readonly<Record<TemplateName, TemplateSource>> = Object.freeze({
  welcome: welcomeTemplate,
  'password-reset': passwordResetTemplate,
  notification: notificationTemplate,
  digest: digestTemplate,
});

type Compiled = (data: unknown) => string;

/**
 * Compiles the bundled templates once, with the subject sources from config.
 *
 * HTML parts use handlebars' default `{{}}` escaping (no triple-stash anywhere, no helper
 * that returns markup), text parts and subjects are compiled with `noEscape` because they
 * are not markup. CSS is inlined with juice into the template source before compiling, so a
 * message costs one handlebars render, not an HTML parse. Bundled templates run in `strict`
 * mode, so a misspelt field fails the test suite instead of rendering blank; subjects come
 * from operators and are lenient.
 */
export function createTemplateRenderer(
  subjects: Readonly<Record<TemplateName, string>>,
): TemplateRenderer {
  // n.b. an isolated environment: helpers registered here stay here
  const hbs = Handlebars.create();
  hbs.registerHelper('paragraphs', (value: unknown) => paragraphs(String(value)));

  const compiled = new Map<TemplateName, { html: Compiled; text: Compiled; subject: Compiled }>();
  for (const name of TEMPLATE_NAMES) {
    const source = SOURCES[name];
    compiled.set(name, {
      html: hbs.compile(juice(inLayout(source.html)), { strict: true }),
      text: hbs.compile(source.text, { strict: true, noEscape: true }),
      subject: hbs.compile(subjects[name], { noEscape: true }),
    });
  }

  return {
    render(template, data) {
      const t = compiled.get(template);
      if (!t) throw new Error(`unknown template ${template}`);
      return {
        subject: oneLine(t.subject(data)) || template,
        text: t.text(data),
        html: t.html(data),
      };
    },
  };
}

/** Blank-line separated paragraphs, each a list of its lines (the template adds `<br>`). */
function paragraphs(text: string): string[][] {
  return text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((para) => para.trim())
    .filter((para) => para !== '')
    .map((para) => para.split('\n'));
}
