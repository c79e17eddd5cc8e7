declare const pipelineTypeErrorBrand: unique symbol;

/**
 * A compile-time error message. No value fits this type, so placing it where the user's
 * argument goes makes TypeScript print the message in the diagnostic.
 *
 * @example
 * // Argument of type '{}' is not assignable to parameter of type
 * // 'PipelineTypeError<"join \"train\" needs provideJoin() before run()">'.
 */
export interface PipelineTypeError<TMessage extends string> {
  readonly [pipelineTypeErrorBrand]: TMessage;
}
