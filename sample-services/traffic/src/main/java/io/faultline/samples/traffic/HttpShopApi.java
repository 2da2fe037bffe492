/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.traffic;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** {@link ShopApi} over the JDK HTTP client against the gateway. */
final class HttpShopApi implements ShopApi {
  private final HttpClient client;
  private final URI gateway;

  HttpShopApi(URI gateway) {
    this.gateway = gateway;
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  @Override
  public Response get(String path, String apiKey) {
    return send(request(path, apiKey).GET().build());
  }

  @Override
  public Response post(String path, String json, String apiKey) {
    return send(
        request(path, apiKey)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build());
  }

  private HttpRequest.Builder request(String path, String apiKey) {
    return HttpRequest.newBuilder(gateway.resolve(path))
        .timeout(Duration.ofSeconds(15))
        .header("Accept", "application/json")
        .header("X-Api-Key", apiKey);
  }

  private Response send(HttpRequest request) {
    try {
      HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      return new Response(Response.NO_RESPONSE, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(Response.NO_RESPONSE, "interrupted");
    }
  }
}
