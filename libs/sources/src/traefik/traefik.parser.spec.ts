import { join } from 'node:path';
import { describe } from 'node:test';
import { acceptingEnvelopes } from '../wrappers';
import { itAnswersEveryRecordFixture } from '../testing/record-fixture-cases';
import { traefikParser } from './traefik.parser';

describe('traefik parser', () => {
  itAnswersEveryRecordFixture(join(__dirname, 'fixtures'), [acceptingEnvelopes(traefikParser)]);
});
