/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.gateway;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

/**
 * Forwards {@code /api/<segment>/rest} to the service configured for {@code <segment>}, with
 * method, query, body and content type; the downstream status and body come back unchanged.
 * Unknown segments are 404, an unreachable service 502.
 */
@RestController
class ProxyController {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyController.class);

  private final Map<String, RestClient> downstreams;

  ProxyController(GatewayApplication.Downstreams downstreams) {
    this.downstreams = downstreams.bySegment();
  }

  @RequestMapping("/api/**")
  ResponseEntity<byte[]> forward(HttpServletRequest request, HttpMethod method, @RequestBody(required = false) byte[] body) {
    String path = request.getRequestURI().substring("/api".length());
    String segment = path.length() > 1 ? path.substring(1).split("/", 2)[0] : "";
    RestClient client = downstreams.get(segment);
    if (client == null) {
      return json(HttpStatus.NOT_FOUND, "{\"error\":\"no_route\",\"message\":\"no service serves /api/" + segment + "\"}");
    }
    String uri = request.getQueryString() == null ? path : path + "?" + request.getQueryString();
    try {
      return client
          .method(method)
          .uri(uri)
          .headers(
              h -> {
                copy(request, h, HttpHeaders.CONTENT_TYPE);
                copy(request, h, HttpHeaders.ACCEPT);
              })
          .body(body == null ? new byte[0] : body)
          .exchange(
              (req, res) -> {
                HttpHeaders headers = new HttpHeaders();
                MediaType type = res.getHeaders().getContentType();
                if (type != null) {
                  headers.setContentType(type);
                }
                return new ResponseEntity<>(res.getBody().readAllBytes(), headers, res.getStatusCode());
              });
    } catch (ResourceAccessException e) {
      LOG.error("{} {}: service '{}' unreachable: {}", method, uri, segment, e.getMessage());
      return json(HttpStatus.BAD_GATEWAY, "{\"error\":\"bad_gateway\",\"message\":\"" + segment + " is unreachable\"}");
    }
  }

  private static void copy(HttpServletRequest request, HttpHeaders headers, String name) {
    String v = request.getHeader(name);
    if (v != null) {
      headers.set(name, v);
    }
  }

  private static ResponseEntity<byte[]> json(HttpStatus status, String body) {
    return ResponseEntity.status(status).contentType(MediaType.APPLICATION_JSON).body(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }
}
