export type { BatchClassification, StatementClassification, StatementKind } from './classification.ts';
export { type ClassifierStats, SqlClassifier, type SqlClassifierOptions } from './classifier.ts';
