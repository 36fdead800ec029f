/** The broker could not route a `mandatory` publish to any queue. */
export class UnroutableError extends Error {
  override readonly name = 'UnroutableError';
  readonly code = 'AMQP_UNROUTABLE';
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
    readonly replyText: string,
  ) {
    super(`message to ${exchange} with routing key ${routingKey} was unroutable (${replyText})`);
  }
}

/** The broker refused a publish (nack), e.g. a queue at its length limit with reject-publish. */
export class PublishNackError extends Error {
  override readonly name = 'PublishNackError';
  readonly code = 'AMQP_NACK';
  constructor(exchange: string, routingKey: string) {
    super(`broker nacked the message to ${exchange} with routing key ${routingKey}`);
  }
}

/** No confirm arrived: not connected in time, or the channel died with the message in flight. */
export class PublishUnconfirmedError extends Error {
  override readonly name = 'PublishUnconfirmedError';
  readonly code = 'AMQP_UNCONFIRMED';
}
