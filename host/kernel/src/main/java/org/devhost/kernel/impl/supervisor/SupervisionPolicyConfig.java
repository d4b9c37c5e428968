package org.devhost.kernel.impl.supervisor;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.Designate;

/**
 * One configured supervision policy (a factory configuration of {@link SupervisionPolicy#PID});
 * the {@link Supervisor} picks them up. Immutable: a changed configuration is a new instance.
 */
@Component(service = SupervisionPolicyConfig.class, configurationPid = SupervisionPolicy.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = SupervisionPolicy.class, factory = true)
public final class SupervisionPolicyConfig {
    final SupervisionPolicy policy;

    @Activate
    public SupervisionPolicyConfig(SupervisionPolicy policy) {
        this.policy = policy;
    }
}
