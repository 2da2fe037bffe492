/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;

/**
 * Log text analysis. The tokenizer keeps technical tokens whole: runs of letters, digits and
 * {@code _} joined by {@code . / \ : = @ + # -}, so {@code 10.0.0.1:8080}, {@code
 * /api/v1/orders}, UUIDs, {@code com.example.PaymentService} and {@code key=value} are one token
 * each. At index time every token is stored lowercased together with its parts, all at the
 * token's position: the pieces between {@code / \ : = @ + #}, their pieces between {@code . - _},
 * and those split at case changes ({@code PaymentService} gives {@code payment} and {@code
 * service}). At query time tokens are only lowercased, so a query term matches a whole token or
 * any part, and a phrase matches consecutive tokens through any of their parts.
 *
 * <p>Stacking the parts on one position (rather than a word-delimiter graph) keeps phrases such as
 * {@code "PaymentService failed"} or {@code "Service failed"} matching, at the price that {@code
 * "card declined"} does not match {@code card_declined}.
 */
final class LogTextAnalyzer extends Analyzer {
  /** Longer terms (base64 blobs, minified payloads) are not indexed. */
  static final int MAX_TERM_LENGTH = 255;

  static final Pattern TOKEN =
      Pattern.compile("[\\p{L}\\p{N}_]+(?:[./\\\\:=@+#\\-][\\p{L}\\p{N}_]+)*");

  private final boolean indexing;

  private LogTextAnalyzer(boolean indexing) {
    this.indexing = indexing;
  }

  /** Whole tokens and their parts, for the index. */
  static LogTextAnalyzer forIndexing() {
    return new LogTextAnalyzer(true);
  }

  /** Whole tokens only, for query text. */
  static LogTextAnalyzer forQueries() {
    return new LogTextAnalyzer(false);
  }

  @Override
  protected TokenStreamComponents createComponents(String fieldName) {
    Tokenizer tokenizer = new PatternTokenizer(TOKEN, 0);
    TokenStream stream = indexing ? new PartsFilter(tokenizer) : new LowerCaseFilter(tokenizer);
    return new TokenStreamComponents(tokenizer, stream);
  }

  @Override
  protected TokenStream normalize(String fieldName, TokenStream in) {
    return new LowerCaseFilter(in);
  }

  /** The lowercased terms a token is indexed under, itself first. */
  static Set<String> parts(String token) {
    Set<String> out = new LinkedHashSet<>();
    add(out, token);
    for (String major : token.split("[/\\\\:=@+#]")) {
      add(out, major);
      for (String minor : major.split("[.\\-_]")) {
        add(out, minor);
        splitCase(minor, out);
      }
    }
    return out;
  }

  private static void add(Set<String> out, String term) {
    if (!term.isEmpty() && term.length() <= MAX_TERM_LENGTH) {
      out.add(term.toLowerCase(Locale.ROOT));
    }
  }

  // PaymentService -> Payment, Service; HTTPServer -> HTTP, Server; parseJSON -> parse, JSON
  private static void splitCase(String word, Set<String> out) {
    int start = 0;
    int n = word.length();
    boolean split = false;
    for (int i = 1; i < n; i++) {
      char prev = word.charAt(i - 1);
      char c = word.charAt(i);
      boolean boundary =
          (Character.isLowerCase(prev) && Character.isUpperCase(c))
              || (Character.isUpperCase(prev)
                  && Character.isUpperCase(c)
                  && i + 1 < n
                  && Character.isLowerCase(word.charAt(i + 1)));
      if (boundary) {
        add(out, word.substring(start, i));
        start = i;
        split = true;
      }
    }
    if (split) {
      add(out, word.substring(start));
    }
  }

  /** Emits each token's {@link #parts} stacked at the token's position. */
  static final class PartsFilter extends TokenFilter {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final PositionIncrementAttribute posInc = addAttribute(PositionIncrementAttribute.class);
    private final ArrayDeque<String> pending = new ArrayDeque<>();
    private int skippedIncrement;

    PartsFilter(TokenStream in) {
      super(in);
    }

    @Override
    public boolean incrementToken() throws IOException {
      if (!pending.isEmpty()) {
        term.setEmpty().append(pending.poll());
        posInc.setPositionIncrement(0);
        return true;
      }
      while (input.incrementToken()) {
        Set<String> parts = parts(term.toString());
        int increment = posInc.getPositionIncrement() + skippedIncrement;
        if (parts.isEmpty()) {
          skippedIncrement = increment;
          continue;
        }
        skippedIncrement = 0;
        pending.addAll(parts);
        term.setEmpty().append(pending.poll());
        posInc.setPositionIncrement(increment);
        return true;
      }
      return false;
    }

    @Override
    public void reset() throws IOException {
      super.reset();
      pending.clear();
      skippedIncrement = 0;
    }
  }
}
