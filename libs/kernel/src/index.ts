export * from './app-error';
export * from './clock';
export * from './duration';
export * from './entity';
export * from './address';
export * from './client-address';
export * from './text';
