/*
 * Copyright The Faultline Authors
 * SPDX-License-Identifier: Apache-2.0
 */
package io.faultline.samples.support;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.security.servlet.SecurityAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Chaos Monkey's actuator endpoints can slow down or kill a service, so they need the {@code
 * chaos} user ({@code shop.chaos.user} / {@code shop.chaos.password}). Health and Prometheus stay
 * open for the platform's health checks and scrapes; the shop's own API is open (the gateway
 * checks API keys).
 */
@AutoConfiguration(before = SecurityAutoConfiguration.class)
public class ChaosSecurityConfiguration {
  static final String CHAOS_ROLE = "CHAOS";

  @Bean
  SecurityFilterChain shopSecurity(HttpSecurity http) throws Exception {
    http.csrf(csrf -> csrf.disable())
        .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
        .authorizeHttpRequests(
            auth ->
                auth.requestMatchers("/actuator/health/**", "/actuator/health", "/actuator/prometheus", "/actuator/info")
                    .permitAll()
                    .requestMatchers("/actuator/**")
                    .hasRole(CHAOS_ROLE)
                    .anyRequest()
                    .permitAll())
        .httpBasic(Customizer.withDefaults());
    return http.build();
  }

  @Bean
  UserDetailsService chaosUser(
      @Value("${shop.chaos.user:chaos}") String user,
      @Value("${shop.chaos.password:chaos-demo}") String password) {
    PasswordEncoder encoder = PasswordEncoderFactories.createDelegatingPasswordEncoder();
    return new InMemoryUserDetailsManager(
        User.withUsername(user).password(encoder.encode(password)).roles(CHAOS_ROLE).build());
  }
}
