/** The handlebars sources of one email template: an HTML part and a plain-text part. */
export interface TemplateSource {
  /**
   * The body, placed in the layout (`inLayout`) and rendered with HTML escaping. Never
   * triple-stash user data; markup belongs in the source, so juice can style it.
   */
  readonly html: string;
  /** Rendered without escaping: it is a text/plain body, not markup. */
  readonly text: string;
}
