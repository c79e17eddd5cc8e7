/**
 * tipi's unit-testing helpers: run one step, a slice of steps, or a whole pipeline with fake
 * permanences, no CLI and no GPU (`import { runStep } from "tipi/testing"`).
 */
export * from "@tipi/core/testing";
