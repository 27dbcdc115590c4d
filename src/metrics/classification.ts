/** Precision, recall, F1 and support of one class, as sklearn's precision_recall_fscore_support. */
export interface ClassScores {
  readonly label: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** windows whose true label is `label` */
  readonly support: number;
}

export interface ClassificationReport {
  /** sorted union of the labels present in truth or prediction (sklearn's unique_labels) */
  readonly labels: number[];
  readonly perClass: ClassScores[];
  /** unweighted mean of the per-class F1 over `labels`: f1_score(average="macro") */
  readonly macroF1: number;
  readonly accuracy: number;
  /** rows: true label, columns: predicted label, both in `labels` order */
  readonly confusion: number[][];
}

/**
 * Scores integer predictions as sklearn does with its defaults: the labels are those present
 * in either vector (so a class only ever predicted counts, with recall 0), and a ratio whose
 * denominator is zero is 0 (zero_division="warn" scores 0). An empty input gives no labels,
 * macro F1 0 and accuracy 0.
 */
export function classificationReport(truth: ArrayLike<number>, predicted: ArrayLike<number>): ClassificationReport {
  if (truth.length !== predicted.length) {
    throw new RangeError(`truth has ${truth.length} labels but predicted has ${predicted.length}`);
  }
  const labels = presentLabels(truth, predicted);
  const confusion = confusionMatrix(truth, predicted, labels);
  const perClass = labels.map((label, c) => _scoresOf(label, c, confusion));
  const macroF1 = perClass.length === 0 ? 0 : _sum(perClass.map((s) => s.f1)) / perClass.length;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) correct++;
  return { labels, perClass, macroF1, accuracy: truth.length === 0 ? 0 : correct / truth.length, confusion };
}

/** f1_score(truth, predicted, average="macro") with sklearn's defaults. */
export function macroF1(truth: ArrayLike<number>, predicted: ArrayLike<number>): number {
  return classificationReport(truth, predicted).macroF1;
}

/** Sorted distinct values of both vectors. */
export function presentLabels(truth: ArrayLike<number>, predicted: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < truth.length; i++) seen.add(truth[i]!);
  for (let i = 0; i < predicted.length; i++) seen.add(predicted[i]!);
  return [...seen].sort((a, b) => a - b);
}

/**
 * counts[t][p] = windows with true label labels[t] predicted as labels[p]. Pairs whose label
 * is not in `labels` are skipped, as sklearn's confusion_matrix(labels=...) does.
 */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, labels: readonly number[]): number[][] {
  const position = new Map(labels.map((label, i) => [label, i]));
  const counts = labels.map(() => labels.map(() => 0));
  for (let i = 0; i < truth.length; i++) {
    const t = position.get(truth[i]!);
    const p = position.get(predicted[i]!);
    if (t !== undefined && p !== undefined) counts[t]![p]!++;
  }
  return counts;
}

function _scoresOf(label: number, c: number, confusion: number[][]): ClassScores {
  const truePositives = confusion[c]![c]!;
  const support = _sum(confusion[c]!);
  const predictedCount = _sum(confusion.map((row) => row[c]!));
  const precision = predictedCount === 0 ? 0 : truePositives / predictedCount;
  const recall = support === 0 ? 0 : truePositives / support;
  // sklearn's form (1 + b^2) p r / (b^2 p + r) with b = 1, kept literally so the rounding matches
  const denominator = precision + recall;
  const f1 = denominator === 0 ? 0 : (2 * precision * recall) / denominator;
  return { label, precision, recall, f1, support };
}

function _sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
