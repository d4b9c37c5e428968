/** The Gogo {@code dev} scope: the device side of the shell. Private; nothing is exported. */
package org.devhost.shell;
