export {
  classificationReport,
  confusionMatrix,
  macroF1,
  presentLabels,
  type ClassificationReport,
  type ClassScores,
} from "./classification.ts";
export { evaluationMetrics, scoreTestWindows, voteTestWindows, type EvaluationMetrics } from "./evaluation.ts";
export { LATENCY_BATCH, measureLatency, median, type LatencyMeasurement, type LatencyRequest } from "./latency.ts";
export { PHASE_NAMES, phaseName } from "../core/phases.ts";
