/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
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
 * <p>Tokens are the matches of {@code [\p{L}\p{N}_]+(?:[./\\:=@+#\-][\p{L}\p{N}_]+)*}, found by a
 * hand-written scanner rather than the regular expression: tokenizing is most of the indexing
 * thread's own work, and the regex engine (and splitting parts with {@code String.split}, which
 * compiles a pattern per call) cost more than Lucene's inverting of the terms.
 *
 * <p>Stacking the parts on one position (rather than a word-delimiter graph) keeps phrases such as
 * {@code "PaymentService failed"} or {@code "Service failed"} matching, at the price that {@code
 * "card declined"} does not match {@code card_declined}.
 */
final class LogTextAnalyzer extends Analyzer {
  /** Longer terms (base64 blobs, minified payloads) are not indexed. */
  static final int MAX_TERM_LENGTH = 255;

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
    Tokenizer tokenizer = new LogTokenizer();
    TokenStream stream = indexing ? new PartsFilter(tokenizer) : new LowerCaseFilter(tokenizer);
    return new TokenStreamComponents(tokenizer, stream);
  }

  @Override
  protected TokenStream normalize(String fieldName, TokenStream in) {
    return new LowerCaseFilter(in);
  }

  /** Letters, digits (any script) and {@code _}. */
  static boolean isWordChar(int cp) {
    if (cp < 128) {
      return (cp >= 'a' && cp <= 'z')
          || (cp >= 'A' && cp <= 'Z')
          || (cp >= '0' && cp <= '9')
          || cp == '_';
    }
    if (Character.isLetter(cp)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.DECIMAL_DIGIT_NUMBER
        || type == Character.LETTER_NUMBER
        || type == Character.OTHER_NUMBER;
  }

  /** What may join two runs of word characters into one token. */
  static boolean isJoiner(char c) {
    return switch (c) {
      case '.', '/', '\\', ':', '=', '@', '+', '#', '-' -> true;
      default -> false;
    };
  }

  private static boolean isMajorSeparator(char c) {
    return switch (c) {
      case '/', '\\', ':', '=', '@', '+', '#' -> true;
      default -> false;
    };
  }

  private static boolean isMinorSeparator(char c) {
    return c == '.' || c == '-' || c == '_';
  }

  /** The lowercased terms a token is indexed under, itself first, without repeats. */
  static List<String> parts(String token) {
    List<String> out = new ArrayList<>(8);
    parts(token, out);
    return out;
  }

  private static void parts(String token, List<String> out) {
    add(out, token);
    int n = token.length();
    int majorStart = 0;
    for (int i = 0; i <= n; i++) {
      if (i < n && !isMajorSeparator(token.charAt(i))) {
        continue;
      }
      String major = token.substring(majorStart, i);
      majorStart = i + 1;
      if (major.length() == n) {
        // no separator: the major part is the token itself
        minors(token, out);
        break;
      }
      add(out, major);
      minors(major, out);
    }
  }

  private static void minors(String major, List<String> out) {
    int n = major.length();
    int start = 0;
    for (int i = 0; i <= n; i++) {
      if (i < n && !isMinorSeparator(major.charAt(i))) {
        continue;
      }
      if (i > start) {
        String minor = i - start == n ? major : major.substring(start, i);
        add(out, minor);
        splitCase(minor, out);
      }
      start = i + 1;
    }
  }

  private static void add(List<String> out, String term) {
    if (term.isEmpty() || term.length() > MAX_TERM_LENGTH) {
      return;
    }
    String lower = term.toLowerCase(Locale.ROOT);
    for (int i = 0, n = out.size(); i < n; i++) {
      if (out.get(i).equals(lower)) {
        return;
      }
    }
    out.add(lower);
  }

  // PaymentService -> Payment, Service; HTTPServer -> HTTP, Server; parseJSON -> parse, JSON
  private static void splitCase(String word, List<String> out) {
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

  /**
   * Emits the tokens described on the class: runs of word characters joined by single joiner
   * characters, a joiner only when a word character follows it.
   */
  static final class LogTokenizer extends Tokenizer {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final OffsetAttribute offset = addAttribute(OffsetAttribute.class);
    private char[] text = new char[1024];
    private int length;
    private int next;

    @Override
    public boolean incrementToken() throws IOException {
      clearAttributes();
      int i = next;
      while (i < length) {
        int cp = Character.codePointAt(text, i, length);
        if (isWordChar(cp)) {
          break;
        }
        i += Character.charCount(cp);
      }
      if (i >= length) {
        next = length;
        return false;
      }
      int start = i;
      i = wordRun(i);
      while (i + 1 < length && isJoiner(text[i])) {
        int cp = Character.codePointAt(text, i + 1, length);
        if (!isWordChar(cp)) {
          break;
        }
        i = wordRun(i + 1);
      }
      next = i;
      term.copyBuffer(text, start, i - start);
      offset.setOffset(correctOffset(start), correctOffset(i));
      return true;
    }

    /** The end of the run of word characters that starts at {@code i}. */
    private int wordRun(int i) {
      while (i < length) {
        int cp = Character.codePointAt(text, i, length);
        if (!isWordChar(cp)) {
          break;
        }
        i += Character.charCount(cp);
      }
      return i;
    }

    @Override
    public void end() throws IOException {
      super.end();
      int end = correctOffset(length);
      offset.setOffset(end, end);
    }

    @Override
    public void reset() throws IOException {
      super.reset();
      length = 0;
      next = 0;
      while (true) {
        if (length == text.length) {
          text = java.util.Arrays.copyOf(text, text.length * 2);
        }
        int read = input.read(text, length, text.length - length);
        if (read < 0) {
          break;
        }
        length += read;
      }
    }
  }

  /** Emits each token's {@link #parts} stacked at the token's position. */
  static final class PartsFilter extends TokenFilter {
    private final CharTermAttribute term = addAttribute(CharTermAttribute.class);
    private final PositionIncrementAttribute posInc = addAttribute(PositionIncrementAttribute.class);
    private final List<String> pending = new ArrayList<>(16);
    private int pendingIndex;
    private int skippedIncrement;

    PartsFilter(TokenStream in) {
      super(in);
    }

    @Override
    public boolean incrementToken() throws IOException {
      if (pendingIndex < pending.size()) {
        term.setEmpty().append(pending.get(pendingIndex++));
        posInc.setPositionIncrement(0);
        return true;
      }
      while (input.incrementToken()) {
        pending.clear();
        parts(term.toString(), pending);
        int increment = posInc.getPositionIncrement() + skippedIncrement;
        if (pending.isEmpty()) {
          skippedIncrement = increment;
          continue;
        }
        skippedIncrement = 0;
        term.setEmpty().append(pending.get(0));
        pendingIndex = 1;
        posInc.setPositionIncrement(increment);
        return true;
      }
      return false;
    }

    @Override
    public void reset() throws IOException {
      super.reset();
      pending.clear();
      pendingIndex = 0;
      skippedIncrement = 0;
    }
  }
}
