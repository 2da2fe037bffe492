/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.chaos.fault.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.faultline.chaos.fault.FaultParameters;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToxicTest {
  private static List<String> errors(Map<String, Object> params) {
    FaultParameters p = FaultParameters.of(params, "parameters");
    Toxic.parse("t", p, Toxic.Labels.NONE);
    return p.errors();
  }

  @Test
  void namesTheWrongParameter() {
    assertThat(errors(Map.of("toxic", "latency", "latencyMs", 0)))
        .containsExactly("parameters.latencyMs: must be between 1 and 60000");
    assertThat(errors(Map.of("toxic", "latency", "latencyMs", 100, "jitterMs", 200)))
        .containsExactly("parameters.jitterMs: must not exceed latencyMs (100)");
    assertThat(errors(Map.of("toxic", "warp"))).singleElement().asString()
        .startsWith("parameters.toxic: unknown toxic 'warp' (known: latency, bandwidth");
    assertThat(errors(Map.of("toxic", "bandwidth", "rateKbps", 10, "stream", "sideways", "toxicity", 2)))
        .containsExactly("parameters.stream: must be upstream or downstream",
            "parameters.toxicity: must be a number between 0.0 and 1.0");
    assertThat(errors(Map.of("toxic", "http_abort", "status", 700, "match", Map.of("path", "products", "percentage", 101))))
        .containsExactly("parameters.status: must be between 100 and 599",
            "parameters.match.path: must start with / (a path prefix or a glob such as /products/*)",
            "parameters.match.percentage: must be a number between 0.0 and 100.0");
    assertThat(errors(Map.of("toxic", "latency", "latencyMs", 5, "status", 500)))
        .containsExactly("parameters.status: does not apply to toxic latency (it takes [jitterMs, latencyMs])".replace(
            "[jitterMs, latencyMs]", ToxicKind.LATENCY.settings().toString()));
  }

  @Test
  void matchesPathsMethodsHeadersAndBaggage() {
    assertThat(HttpMatch.pathMatches("/products", "/products/KB-1")).isTrue();
    assertThat(HttpMatch.pathMatches("/products", "/productsX")).isFalse();
    assertThat(HttpMatch.pathMatches("/products/*", "/products/KB-1")).isTrue();
    assertThat(HttpMatch.pathMatches("/products/*", "/products/KB-1/stock")).isFalse();
    assertThat(HttpMatch.pathMatches("/api/**/stock", "/api/a/b/stock")).isTrue();
    assertThat(HttpMatch.baggageMatches("chaos=run-1", List.of("a=b, chaos=run-1;prop"))).isTrue();
    assertThat(HttpMatch.baggageMatches("chaos=run-1", List.of("chaos=run-10"))).isFalse();
    assertThat(HttpMatch.baggageMatches("chaos", List.of("chaos=anything"))).isTrue();
    assertThat(HttpMatch.baggageMatches("chaos", null)).isFalse();
  }

  @Test
  void parsesRequestHeadsAndRejectsWhatIsNotHttp() {
    HttpRequestReader.Head h = HttpRequestReader.parse(
        "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n".getBytes());
    assertThat(h.method()).isEqualTo("GET");
    assertThat(h.headers().get("x-multi")).containsExactly("1", "2");
    assertThat(HttpRequestReader.parse("\u0016\u0003\u0001 hello\r\n\r\n".getBytes())).isNull();
    assertThat(HttpRequestReader.parse("GET / HTTP/1.1\r\nbad header\r\n\r\n".getBytes())).isNull();
  }
}
