/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.OffsetAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.junit.jupiter.api.Test;

class LogTextAnalyzerTest {

  /** Terms as "term@position". */
  private static List<String> analyze(Analyzer analyzer, String text) throws IOException {
    List<String> out = new ArrayList<>();
    try (TokenStream ts = analyzer.tokenStream("body", text)) {
      CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
      PositionIncrementAttribute inc = ts.addAttribute(PositionIncrementAttribute.class);
      ts.reset();
      int pos = -1;
      while (ts.incrementToken()) {
        pos += inc.getPositionIncrement();
        out.add(term + "@" + pos);
      }
      ts.end();
    }
    return out;
  }

  @Test
  void technicalTokensStayWholeWithTheirPartsStackedOnOnePosition() throws IOException {
    try (Analyzer a = LogTextAnalyzer.forIndexing()) {
      assertThat(analyze(a, "PaymentService failed: card_declined"))
          .containsExactly(
              "paymentservice@0", "payment@0", "service@0", "failed@1", "card_declined@2", "card@2",
              "declined@2");
      assertThat(analyze(a, "GET /api/v1/orders from 10.0.0.17:8080"))
          .containsExactly(
              "get@0", "api/v1/orders@1", "api@1", "v1@1", "orders@1", "from@2",
              "10.0.0.17:8080@3", "10.0.0.17@3", "10@3", "0@3", "17@3", "8080@3");
      assertThat(analyze(a, "id=550e8400-e29b-41d4"))
          .containsExactly(
              "id=550e8400-e29b-41d4@0", "id@0", "550e8400-e29b-41d4@0", "550e8400@0", "e29b@0",
              "41d4@0");
      assertThat(analyze(a, "HTTPServer parseJSON"))
          .containsExactly("httpserver@0", "http@0", "server@0", "parsejson@1", "parse@1", "json@1");
    }
  }

  @Test
  void queriesAreOnlyLowercasedWholeTokens() throws IOException {
    try (Analyzer a = LogTextAnalyzer.forQueries()) {
      assertThat(analyze(a, "Card_Declined at com.example.Foo"))
          .containsExactly("card_declined@0", "at@1", "com.example.foo@2");
    }
  }

  @Test
  void overLongTokensKeepOnlyTheirShortParts() throws IOException {
    String blob = "x".repeat(300) + ".tail";
    try (Analyzer a = LogTextAnalyzer.forIndexing()) {
      assertThat(analyze(a, blob + " next")).containsExactly("tail@0", "next@1");
      assertThat(analyze(a, "y".repeat(400) + " next")).containsExactly("next@1");
    }
  }

  /** The token pattern the tokenizer implements by hand, as the first version used it. */
  private static final Pattern TOKEN =
      Pattern.compile("[\\p{L}\\p{N}_]+(?:[./\\\\:=@+#\\-][\\p{L}\\p{N}_]+)*");

  /** The first version's parts, with regular expressions and a set, as the reference. */
  private static List<String> referenceParts(String token) {
    Set<String> out = new LinkedHashSet<>();
    referenceAdd(out, token);
    for (String major : token.split("[/\\\\:=@+#]")) {
      referenceAdd(out, major);
      for (String minor : major.split("[.\\-_]")) {
        referenceAdd(out, minor);
        int start = 0;
        boolean split = false;
        for (int i = 1; i < minor.length(); i++) {
          char prev = minor.charAt(i - 1);
          char c = minor.charAt(i);
          if ((Character.isLowerCase(prev) && Character.isUpperCase(c))
              || (Character.isUpperCase(prev)
                  && Character.isUpperCase(c)
                  && i + 1 < minor.length()
                  && Character.isLowerCase(minor.charAt(i + 1)))) {
            referenceAdd(out, minor.substring(start, i));
            start = i;
            split = true;
          }
        }
        if (split) {
          referenceAdd(out, minor.substring(start));
        }
      }
    }
    return List.copyOf(out);
  }

  private static void referenceAdd(Set<String> out, String term) {
    if (!term.isEmpty() && term.length() <= LogTextAnalyzer.MAX_TERM_LENGTH) {
      out.add(term.toLowerCase(Locale.ROOT));
    }
  }

  private static final String[] PIECES = {
    "a", "Z", "x", "Pay", "ment", "HTTP", "Server", "7", "42", "_", "__", ".", "/", "\\", ":", "=",
    "@", "+", "#", "-", " ", "  ", "\t", "\n", "?", "&", "(", ")", "\"", "'", ",", "é", "Σ", "ΟΔΟΣ",
    "日本", "٣", "Ⅻ", "½", "\uD835\uDC9C", "\uD83D\uDE00", "\uD800", "İ", "ß", "ǅ"
  };

  @Test
  void tokensAndPartsAreThoseOfTheRegularExpressionVersion() throws IOException {
    long seed = System.nanoTime();
    System.out.println("LogTextAnalyzerTest seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    try (Analyzer a = LogTextAnalyzer.forQueries()) {
      for (int round = 0; round < 3000; round++) {
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(30); i > 0; i--) {
          text.append(PIECES[random.nextInt(PIECES.length)]);
        }
        String input = text.toString();
        List<String> expected = new ArrayList<>();
        List<String> expectedParts = new ArrayList<>();
        Matcher m = TOKEN.matcher(input);
        while (m.find()) {
          expected.add(m.group() + "@" + m.start() + "-" + m.end());
          expectedParts.addAll(referenceParts(m.group()));
        }
        List<String> actual = new ArrayList<>();
        List<String> actualParts = new ArrayList<>();
        try (LogTextAnalyzer.LogTokenizer tokenizer = new LogTextAnalyzer.LogTokenizer()) {
          CharTermAttribute term = tokenizer.addAttribute(CharTermAttribute.class);
          OffsetAttribute offset = tokenizer.addAttribute(OffsetAttribute.class);
          tokenizer.setReader(new java.io.StringReader(input));
          tokenizer.reset();
          while (tokenizer.incrementToken()) {
            actual.add(term + "@" + offset.startOffset() + "-" + offset.endOffset());
            actualParts.addAll(LogTextAnalyzer.parts(term.toString()));
          }
          tokenizer.end();
          assertThat(offset.endOffset()).isEqualTo(input.length());
        }
        assertThat(actual).as("tokens of %s (seed %d)", input, seed).isEqualTo(expected);
        assertThat(actualParts).as("parts of %s (seed %d)", input, seed).isEqualTo(expectedParts);
        List<String> lowered = new ArrayList<>();
        m.reset();
        int pos = 0;
        while (m.find()) {
          // as LowerCaseFilter: code point by code point, without String's context rules
          lowered.add(m.group().codePoints().map(Character::toLowerCase)
              .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
              + "@" + pos++);
        }
        assertThat(analyze(a, input)).as("query terms of %s (seed %d)", input, seed).isEqualTo(lowered);
      }
    }
  }

  @Test
  void longTextIsReadWhole() throws IOException {
    String text = "word ".repeat(5000) + "PaymentService";
    try (Analyzer a = LogTextAnalyzer.forIndexing()) {
      List<String> terms = analyze(a, text);
      assertThat(terms).hasSize(5003).endsWith("paymentservice@5000", "payment@5000", "service@5000");
    }
  }
}
