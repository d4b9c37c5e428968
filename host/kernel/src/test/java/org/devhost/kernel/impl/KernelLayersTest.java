package org.devhost.kernel.impl;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernel's layers (ARCHITECTURE.md, "The kernel's layers"), checked over the compiled classes
 * with ArchUnit: each package of {@code org.devhost.kernel.impl} uses only the packages of the
 * layers below its own, never one beside it or above it; where a lower layer must tell an upper
 * one something it calls an interface of its own that the upper one implements (the registry's
 * {@code Supervision}). The API package uses no implementation; nothing sits at impl's root; a
 * new package fails here until it is given a layer.
 */
class KernelLayersTest {
    private static final String IMPL = "org.devhost.kernel.impl";

    /** Lowest first. Packages in one layer do not use each other. */
    static final List<List<String>> LAYERS = List.of(
            List.of("log", "wait"),  // the kernel log; wait queues and poll subscriptions
            List.of("chrdev"),       // device numbers and tables, character devices, open files, a module's ledger
            List.of("registry"),     // how a bundle reaches the kernel: KernelCore, its DeviceRegistry, the misc whiteboard
            List.of("lifecycle"),    // a module's init and drop under a deadline, and how they ended
            List.of("supervisor", "isolation"), // detection, restarts, policy, events; modules in processes of their own
            List.of("module"));      // the module manager: load, unload, restart on request

    private static final JavaClasses KERNEL = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.devhost.kernel");

    /** One rule per package: none of its classes depends on a class of a package at its layer or above. */
    static List<ArchRule> layerRules(String root) {
        List<ArchRule> rules = new ArrayList<>();
        for (int i = 0; i < LAYERS.size(); i++) {
            for (String pkg : LAYERS.get(i)) {
                List<String> notBelow = new ArrayList<>();
                for (int j = i; j < LAYERS.size(); j++) {
                    for (String other : LAYERS.get(j)) {
                        if (!other.equals(pkg)) {
                            notBelow.add(root + "." + other + "..");
                        }
                    }
                }
                rules.add(noClasses().that().resideInAPackage(root + "." + pkg + "..")
                        .should().dependOnClassesThat().resideInAnyPackage(notBelow.toArray(String[]::new))
                        .because(pkg + " may use only the layers below it (KernelLayersTest.LAYERS)"));
            }
        }
        return rules;
    }

    @Test
    void everyPackageOfTheKernelUsesOnlyTheLayersBelowIt() {
        for (ArchRule rule : layerRules(IMPL)) {
            rule.check(KERNEL);
        }
    }

    @Test
    void theApiUsesNoImplementationTheTestingKitOnlyTheRegistryAndNothingUsesTheKit() {
        noClasses().that().resideInAPackage("org.devhost.kernel")
                .should().dependOnClassesThat().resideInAPackage(IMPL + "..").check(KERNEL);
        noClasses().that().resideInAPackage("org.devhost.kernel.testing")
                .should().dependOnClassesThat().resideInAnyPackage(LAYERS.stream().flatMap(List::stream)
                        .filter(p -> !p.equals("registry")).map(p -> IMPL + "." + p + "..").toArray(String[]::new))
                .because("the exported testing kit wraps the StandaloneKernel and nothing else")
                .check(KERNEL);
        noClasses().that().resideInAnyPackage("org.devhost.kernel", IMPL + "..")
                .should().dependOnClassesThat().resideInAPackage("org.devhost.kernel.testing..")
                .because("the testing kit is above everything else in the bundle").check(KERNEL);
    }

    @Test
    void everyImplementationClassIsInALayerAndNoneAtTheRoot() {
        String[] placed = LAYERS.stream().flatMap(List::stream).map(p -> IMPL + "." + p + "..").toArray(String[]::new);
        classes().that().resideInAPackage(IMPL + "..").should().resideInAnyPackage(placed)
                .because("a new package of the kernel gets a layer in KernelLayersTest.LAYERS and ARCHITECTURE.md")
                .check(KERNEL);
        assertTrue(KERNEL.stream().anyMatch(c -> c.getPackageName().equals(IMPL + ".supervisor")),
                "the import found the kernel's classes");
    }

    /** The rules catch what they are for: a fixture whose chrdev names its supervisor fails, and only that. */
    @Test
    void aLowerPackageThatNamesAnUpperOneFails() {
        String root = IMPL + ".layersfixture";
        JavaClasses fixture = new ClassFileImporter().importPackages(root);
        List<String> failures = layerRules(root).stream()
                .map(rule -> rule.allowEmptyShould(true).evaluate(fixture))
                .filter(EvaluationResult::hasViolation)
                .map(result -> result.getFailureReport().toString())
                .toList();
        assertEquals(1, failures.size(), failures::toString);
        assertTrue(failures.get(0).contains("layersfixture.chrdev.Table") && failures.get(0).contains("layersfixture.supervisor.Watcher"),
                failures.get(0));
    }
}
