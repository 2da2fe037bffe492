/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.metric.promql;

import io.faultline.metric.storage.Labels;
import java.util.List;
import java.util.Objects;

/**
 * The answer to a query in Prometheus' result model: a scalar, a string, an instant vector or a
 * matrix, plus the warning and info annotations Prometheus would report.
 */
public final class QueryResult {
  /** Prometheus' {@code resultType}. */
  public enum Type {
    SCALAR("scalar"),
    STRING("string"),
    VECTOR("vector"),
    MATRIX("matrix");

    private final String apiName;

    Type(String apiName) {
      this.apiName = apiName;
    }

    /** The name used in the HTTP API's {@code resultType} field. */
    public String apiName() {
      return apiName;
    }
  }

  /** One element of an instant vector. */
  public record VectorSample(Labels labels, long timestampMs, double value) {}

  /** One series of a matrix; the arrays are parallel and ascending in time. */
  public record MatrixSeries(Labels labels, long[] timestampsMs, double[] values) {}

  private final Type type;
  private final long timestampMs;
  private final double scalar;
  private final String string;
  private final List<VectorSample> vector;
  private final List<MatrixSeries> matrix;
  private final List<String> warnings;
  private final List<String> infos;

  private QueryResult(
      Type type,
      long timestampMs,
      double scalar,
      String string,
      List<VectorSample> vector,
      List<MatrixSeries> matrix,
      List<String> warnings,
      List<String> infos) {
    this.type = type;
    this.timestampMs = timestampMs;
    this.scalar = scalar;
    this.string = string;
    this.vector = vector;
    this.matrix = matrix;
    this.warnings = List.copyOf(warnings);
    this.infos = List.copyOf(infos);
  }

  static QueryResult ofScalar(long t, double v, List<String> warnings, List<String> infos) {
    return new QueryResult(Type.SCALAR, t, v, null, List.of(), List.of(), warnings, infos);
  }

  static QueryResult ofString(long t, String s, List<String> warnings, List<String> infos) {
    return new QueryResult(Type.STRING, t, Double.NaN, s, List.of(), List.of(), warnings, infos);
  }

  static QueryResult ofVector(
      long t, List<VectorSample> v, List<String> warnings, List<String> infos) {
    return new QueryResult(Type.VECTOR, t, Double.NaN, null, v, List.of(), warnings, infos);
  }

  static QueryResult ofMatrix(
      long t, List<MatrixSeries> m, List<String> warnings, List<String> infos) {
    return new QueryResult(Type.MATRIX, t, Double.NaN, null, List.of(), m, warnings, infos);
  }

  public Type type() {
    return type;
  }

  /** Evaluation time of a scalar, string or vector result. */
  public long timestampMs() {
    return timestampMs;
  }

  /** The value of a scalar result. */
  public double scalar() {
    requireType(Type.SCALAR);
    return scalar;
  }

  /** The value of a string result. */
  public String string() {
    requireType(Type.STRING);
    return string;
  }

  /** The samples of a vector result, in the order Prometheus returns them. */
  public List<VectorSample> vector() {
    requireType(Type.VECTOR);
    return vector;
  }

  /** The series of a matrix result, sorted by labels. */
  public List<MatrixSeries> matrix() {
    requireType(Type.MATRIX);
    return matrix;
  }

  /** Warning annotations, e.g. {@code PromQL warning: quantile value should be ...}. */
  public List<String> warnings() {
    return warnings;
  }

  /** Info annotations, e.g. {@code PromQL info: metric might not be a counter ...}. */
  public List<String> infos() {
    return infos;
  }

  private void requireType(Type t) {
    if (!Objects.equals(type, t)) {
      throw new IllegalStateException("result is a " + type.apiName() + ", not a " + t.apiName());
    }
  }
}
