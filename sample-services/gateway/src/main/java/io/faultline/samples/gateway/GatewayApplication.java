/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.gateway;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.web.client.RestClient;

/** The shop's API gateway: the only service clients talk to. */
@SpringBootApplication
@EnableConfigurationProperties(GatewayApplication.Routes.class)
public class GatewayApplication {
  public static void main(String[] args) {
    SpringApplication.run(GatewayApplication.class, args);
  }

  /**
   * One RestClient per downstream service, keyed by the first path segment after {@code /api/},
   * built from Boot's builder, which the OpenTelemetry starter instruments.
   */
  @Bean
  Downstreams downstreams(RestClient.Builder builder, Routes routes) {
    Map<String, RestClient> clients = new LinkedHashMap<>();
    routes.getRoutes().forEach((prefix, url) -> clients.put(prefix, builder.clone().baseUrl(url).build()));
    return new Downstreams(Map.copyOf(clients));
  }

  record Downstreams(Map<String, RestClient> bySegment) {}

  /** {@code shop.gateway.routes.<segment>=<base url>}: {@code /api/<segment>/x} goes to {@code <url>/<segment>/x}. */
  @ConfigurationProperties("shop.gateway")
  static final class Routes {
    private Map<String, String> routes = new LinkedHashMap<>();

    public Map<String, String> getRoutes() {
      return routes;
    }

    public void setRoutes(Map<String, String> routes) {
      this.routes = routes;
    }
  }
}
