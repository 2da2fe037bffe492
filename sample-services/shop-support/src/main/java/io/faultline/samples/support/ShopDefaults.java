/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.boot.env.PropertiesPropertySourceLoader;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

/**
 * Adds {@code shop-defaults.properties} (exporters, actuator exposure, Chaos Monkey) as the
 * property source of lowest precedence, so each service's {@code application.yml}, environment
 * variables and command-line flags override it. A {@code spring.config.import} would do the
 * opposite: imported files win over the file that imports them.
 */
public final class ShopDefaults implements EnvironmentPostProcessor, Ordered {
  static final String RESOURCE = "shop-defaults.properties";

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
    try {
      for (PropertySource<?> source :
          new PropertiesPropertySourceLoader().load("shopDefaults", new ClassPathResource(RESOURCE))) {
        env.getPropertySources().addLast(source);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE + " from the classpath", e);
    }
  }

  @Override
  public int getOrder() {
    return Ordered.LOWEST_PRECEDENCE;
  }
}
