/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.collector.otlp.internal;

import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What every signal's validation shares. Pass 1 only reads: it records one verdict per item, in
 * request order (flattened across resources and scopes), enforcing the per-request item limit and
 * collecting the rejections for the error message. The common case (everything accepted) keeps
 * the original message, so nothing is copied; otherwise pass 2 rebuilds the request from the
 * accepted items, reading the verdicts back in the same order.
 */
final class Verdicts {
  private final RejectReason[] verdicts;
  private final Rejections rejections = new Rejections();
  private final int limit;
  private final RejectReason overLimit;
  private final String itemName;
  private int next;

  /**
   * For {@code total} items, at most {@code limit} of which a request may carry; the rest are
   * rejected for {@code overLimit}. {@code itemName} names the items in messages.
   */
  Verdicts(int total, int limit, RejectReason overLimit, String itemName) {
    this.verdicts = new RejectReason[total];
    this.limit = limit;
    this.overLimit = overLimit;
    this.itemName = itemName;
  }

  /**
   * True when the next item is beyond the per-request limit: it is then recorded as rejected for
   * that, and nothing else about it needs checking.
   */
  boolean rejectOverLimit() {
    if (next < limit) {
      return false;
    }
    rejections.add(
        overLimit,
        "a request may carry " + limit + " " + itemName + "; send the rest in another request");
    verdicts[next++] = overLimit;
    return true;
  }

  /** Records the next item's verdict: accepted when {@code problem} is null. */
  void record(AttributeCheck.Problem problem) {
    if (problem == null) {
      verdicts[next++] = null;
    } else {
      rejections.add(problem.reason(), problem.detail());
      verdicts[next++] = problem.reason();
    }
  }

  /** The validation of {@code request}, rebuilt by {@code keep} only when an item was rejected. */
  <Q> Validation<Q> outcome(Q request, BiFunction<Q, Cursor, Q> keep) {
    return outcome(request, false, keep);
  }

  /**
   * The validation of {@code request}: the request itself when every item is accepted and {@code
   * rewrite} is false, else what {@code keep} rebuilds from the accepted items.
   */
  <Q> Validation<Q> outcome(Q request, boolean rewrite, BiFunction<Q, Cursor, Q> keep) {
    int total = verdicts.length;
    if (rejections.isEmpty() && !rewrite) {
      return new Validation<>(request, total, Map.of(), "");
    }
    return new Validation<>(
        keep.apply(request, new Cursor()),
        total - rejections.total(),
        rejections.counts(),
        rejections.message(total, itemName));
  }

  /** The verdicts read back in request order, for pass 2. */
  final class Cursor {
    private int at;

    private Cursor() {}

    /** Whether the next item was accepted. */
    boolean nextAccepted() {
      return verdicts[at++] == null;
    }
  }

  /**
   * One level of pass 2: what remains of each child ({@code survivor} gives null when nothing
   * does) is added to a copy of the parent without its children, which {@code emptied} makes once
   * the first child survives. Null when no child survives, so the parent is dropped too.
   */
  static <C, K, B> B keep(
      List<C> children, Function<C, K> survivor, Supplier<B> emptied, BiConsumer<B, K> add) {
    B out = null;
    for (C child : children) {
      K kept = survivor.apply(child);
      if (kept != null) {
        if (out == null) {
          out = emptied.get();
        }
        add.accept(out, kept);
      }
    }
    return out;
  }
}
