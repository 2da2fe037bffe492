/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
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
}
