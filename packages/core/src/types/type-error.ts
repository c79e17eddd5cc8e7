declare const pipelineTypeErrorBrand: unique symbol;

/**
 * A compile-time error message. No value fits this type, so placing it where the user's
 * argument goes makes TypeScript print the message in the diagnostic. `TDetail` carries the
 * types involved (`{ expected; given }`), printed beside the message.
 *
 * @example
 * // The 'this' context of type 'Pipeline<…>' is not assignable to method's 'this' of type
 * // 'PipelineTypeError<"join \"train\" needs provideJoin() before run()">'.
 */
export interface PipelineTypeError<TMessage extends string, TDetail = unknown> {
  readonly [pipelineTypeErrorBrand]: TMessage;
  readonly detail: TDetail;
}
