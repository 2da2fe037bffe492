/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.orders;

import java.util.Map;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.web.client.RestClient;

/** A JSON call to another service that returns its status instead of throwing on 4xx/5xx. */
final class Downstream {
  private static final ParameterizedTypeReference<Map<String, Object>> JSON_MAP =
      new ParameterizedTypeReference<>() {};

  private Downstream() {}

  static Reply get(RestClient client, String uri) {
    return client.get().uri(uri).exchange((req, res) -> new Reply(res.getStatusCode().value(), body(res)));
  }

  static Reply post(RestClient client, String uri, Object body, Map<String, String> headers) {
    return client
        .post()
        .uri(uri)
        .headers(h -> headers.forEach(h::set))
        .body(body)
        .exchange((req, res) -> new Reply(res.getStatusCode().value(), body(res)));
  }

  static Reply delete(RestClient client, String uri) {
    return client.delete().uri(uri).exchange((req, res) -> new Reply(res.getStatusCode().value(), Map.of()));
  }

  private static Map<String, Object> body(RestClient.RequestHeadersSpec.ConvertibleClientHttpResponse res)
      throws java.io.IOException {
    String type = res.getHeaders().getFirst(HttpHeaders.CONTENT_TYPE);
    if (type == null || !type.contains("json")) {
      return Map.of();
    }
    Map<String, Object> body = res.bodyTo(JSON_MAP);
    return body == null ? Map.of() : body;
  }

  record Reply(int status, Map<String, Object> body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    String field(String name) {
      Object v = body.get(name);
      return v == null ? null : String.valueOf(v);
    }
  }
}
