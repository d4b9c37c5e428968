package org.devhost.kernel.impl.chrdev;

import java.lang.reflect.Method;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import org.devhost.kernel.FileOperations;
import org.devhost.kernel.Operation;

/** Computes a driver's operation table: which {@link FileOperations} methods its class overrides. */
final class OperationTable {
    private OperationTable() {}

    static Set<Operation> of(FileOperations<?> ops) {
        EnumSet<Operation> table = EnumSet.of(Operation.OPEN);
        if (ops instanceof ForwardedOperations f) {
            table.addAll(f.operations());
            return Collections.unmodifiableSet(table);
        }
        for (Method m : FileOperations.class.getMethods()) {
            if (!m.isDefault()) {
                continue;
            }
            try {
                Method impl = ops.getClass().getMethod(m.getName(), m.getParameterTypes());
                if (impl.getDeclaringClass() != FileOperations.class) {
                    table.add(forMethod(m.getName()));
                }
            } catch (NoSuchMethodException impossible) {
                // getMethods() of the class includes every interface default; nothing to record
            }
        }
        return Collections.unmodifiableSet(table);
    }

    private static Operation forMethod(String name) {
        for (Operation op : Operation.values()) {
            if (op.methodName().equals(name)) {
                return op;
            }
        }
        throw new IllegalStateException("FileOperations method without an Operation: " + name);
    }
}
